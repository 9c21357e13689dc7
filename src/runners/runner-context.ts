import type { MemoryRecord } from "../store/memories.ts";

/** The system text a runner's run gets: its instructions, what it remembers, its unread mail. */
export function renderRunnerContext(input: {
  name: string;
  instructions: string;
  memories: readonly MemoryRecord[];
  mail?: string;
}): string {
  const parts = [`You are the drover runner "${input.name}".`];
  if (input.instructions.trim())
    parts.push(`# Your instructions (AGENTS.md)\n\n${input.instructions.trim()}`);
  if (input.memories.length > 0) {
    parts.push(
      [
        "# What you remember that may be relevant",
        ...input.memories.map(
          (memory) => `- [memory ${memory.id}${memory.tags ? ` · ${memory.tags}` : ""}] ${memory.content}`,
        ),
      ].join("\n"),
    );
  }
  if (input.mail) parts.push(`# Your mailbox\n\n${input.mail}`);
  parts.push(
    'If you learn something worth remembering for similar tasks, put it in "learnings" in your report.',
  );
  return parts.join("\n\n");
}
