/** What the decomposition model is asked about one brief. */
export interface DecomposePromptInput {
  brief: string;
  max: number;
  /** Titles of the briefs this one is a part of, outermost first (empty for the top brief). */
  within: readonly string[];
  /** Why the previous answer was refused, for the one retry. */
  rejected?: readonly string[];
}

/**
 * The classification prompt ("when in doubt, atomic"). The brief goes last, between `<brief>`
 * tags: the scripted model reads only what is inside them.
 */
export function decomposePrompt(input: DecomposePromptInput): string {
  const { max } = input;
  const lines = [
    "You plan work for AI coding agents. Decide whether the brief below is atomic or composite.",
    "Atomic: one agent can do it well in one session. Composite: it is clearly better done as separate tasks, each by its own agent. When in doubt, answer atomic.",
    `For a composite brief, give 2 to ${max} subtasks. For each: a short title; a prompt that stands on its own (its agent sees nothing else, so include the context it needs); dependsOn, the numbers (1, 2, …) of the other subtasks that must be finished before it starts (empty when it can start at once); and touches, globs of the files and folders it will change (e.g. "src/api/**"), so that subtasks changing the same files do not run at the same time. Prefer subtasks that can run in parallel on different files.`,
  ];
  if (input.within.length > 0)
    lines.push(`This brief is one part of a larger piece of work: ${input.within.join(" › ")}.`);
  lines.push(
    "Do not change files or run commands: answer only with the structured output tool, following its schema.",
  );
  if (input.rejected && input.rejected.length > 0)
    lines.push(
      `Your previous answer could not be used: ${input.rejected.join("; ")}. Answer again, following the schema.`,
    );
  return `${lines.join("\n\n")}\n\n<brief>\n${input.brief}\n</brief>`;
}
