import type { Context } from "hono";
import { z } from "zod";
import { DroverError, type InputIssue } from "../core/errors.ts";

/** A whole-number query parameter or path segment (`?limit=50`); anything else is a 400. */
export const wholeNumber = z.string().regex(/^\d+$/, "must be a whole number").transform(Number);

/** `?limit=`: at least 1; values over `max` are read as `max`. */
export function limitParam(max: number, fallback: number) {
  return wholeNumber
    .pipe(z.number().min(1, "must be at least 1"))
    .transform((n) => Math.min(n, max))
    .default(fallback);
}

/** `?flag=true|false`. */
export const booleanParam = z.enum(["true", "false"]).transform((value) => value === "true");

/** Validates the query string; a bad value is a 400 that names the parameter. */
export function readQuery<T>(c: Context, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(c.req.query());
  if (parsed.success) return parsed.data;
  const issues = issuesOf(parsed.error, "query");
  throw new DroverError("bad_input", `invalid query: ${describe(issues, (path) => `?${path}=`)}`, { issues });
}

/** Validates a path segment such as `:id`. */
export function readParam<T>(c: Context, name: string, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(c.req.param(name));
  if (parsed.success) return parsed.data;
  const issues = issuesOf(parsed.error, "path", name);
  throw new DroverError("bad_input", `invalid path: ${describe(issues, (path) => `:${path}`)}`, { issues });
}

/** Parses and validates a JSON body. */
export async function readBody<T>(schema: z.ZodType<T>, request: { json(): Promise<unknown> }): Promise<T> {
  const raw = await request.json().catch(() => {
    throw new DroverError("bad_input", "request body is not JSON");
  });
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new DroverError("bad_input", "invalid request body", { issues: issuesOf(parsed.error, "request") });
}

/**
 * The SSE resume point: `Last-Event-ID` (sent by EventSource on reconnect) or `?after=`.
 * A malformed id is refused rather than read as 0, which would replay the whole history.
 */
export function readResumePoint(c: Context): number {
  const header = c.req.header("last-event-id");
  if (header === undefined) return readQuery(c, z.object({ after: wholeNumber.default(0) })).after;
  const parsed = wholeNumber.safeParse(header.trim());
  if (parsed.success) return parsed.data;
  const message = `"${header}" is not an event id (a whole number)`;
  throw new DroverError("bad_input", `invalid header: Last-Event-ID ${message}`, {
    issues: [{ source: "header", path: "Last-Event-ID", message }],
  });
}

function issuesOf(error: z.ZodError, source: string, prefix?: string): InputIssue[] {
  return error.issues.map((issue) => ({
    source,
    path: [prefix, ...issue.path.map(String)].filter((part) => part !== undefined).join("."),
    message: issue.message,
  }));
}

function describe(issues: readonly InputIssue[], name: (path: string) => string): string {
  return issues.map((issue) => `${name(issue.path)} ${issue.message}`).join("; ");
}
