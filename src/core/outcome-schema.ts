import { z } from "zod";

/** What a blocked agent is missing (the seeds' BLOCKED protocol). */
export const BlockerKind = z.enum([
  "missing_context",
  "capability_limit",
  "dependency",
  "credentials",
  "conflict",
  "other",
]);
export type BlockerKind = z.infer<typeof BlockerKind>;

/**
 * The report every agent ends its attempt with, asked for as OpenCode structured output
 * (`format: json_schema`). Never grepped from text.
 */
export const AgentReport = z.object({
  outcome: z
    .enum(["complete", "blocked", "handoff", "failed"])
    .describe(
      "complete: done; handoff: done, only asynchronous follow-up remains; blocked: cannot proceed; failed: tried and could not",
    ),
  summary: z.string().describe("One or two sentences: what was done, or what stopped you."),
  reason: z.string().optional().describe("For blocked/failed: the specific reason."),
  blocker: BlockerKind.optional().describe("For blocked: what kind of blocker this is."),
  evidence: z.string().optional().describe("Files, commands or output that support the outcome."),
  learnings: z
    .array(z.string())
    .max(10)
    .optional()
    .describe("Short facts worth remembering for similar tasks (kept in a runner's memory)."),
});
export type AgentReport = z.infer<typeof AgentReport>;

/** The JSON Schema sent to OpenCode as the structured-output format. */
export function agentReportJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(AgentReport) as Record<string, unknown>;
  delete schema.$schema;
  return schema;
}

/** Appended to every prompt so the agent knows how to end (the seeds' BLOCKED protocol, as data). */
export const reportInstructions = `When you stop, report your outcome with the structured output tool:
- "complete" when the task is done; "handoff" when it is done and only asynchronous follow-up (CI, review) remains.
- "blocked" when you cannot proceed without something outside your control: the task contradicts the codebase, would break a public API, is already done or obsolete, needs missing dependencies or credentials, needs an architectural decision affecting other tasks, risks data loss, or has several interpretations with very different outcomes. Give the reason and set "blocker" (missing_context, capability_limit, dependency, credentials, conflict, other).
- "failed" when you tried and could not do it.
Proceed on your own (and say so in the summary) when the answer can be inferred from context or conventions, only affects your own task, or several approaches are equally valid.`;
