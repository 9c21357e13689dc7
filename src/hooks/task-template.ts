/**
 * Fills `{{path.to.field}}` in a template from a JSON body; a field that is missing (or not text or
 * a number) is named in `missing`, so the delivery can be refused with it.
 */
export function fillTemplate(template: string, body: unknown): { text: string; missing: string[] } {
  const missing: string[] = [];
  const text = template.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (_all, path: string) => {
    let value: unknown = body;
    for (const key of path.split(".")) value = (value as Record<string, unknown> | undefined)?.[key];
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
      return String(value);
    missing.push(path);
    return "";
  });
  return { text, missing };
}
