import { z } from "zod";

/** The engines a task may name (`engine:`); the default is `opencode`. Later issues add more. */
export const EngineName = z.enum(["opencode"]);
export type EngineName = z.infer<typeof EngineName>;

/** A validated task, as stored and dispatched: paths absolute, defaults applied. */
export const TaskSpec = z.object({
  id: z.string(),
  prompt: z.string(),
  title: z.string(),
  dir: z.string(),
  model: z.string(),
  agent: z.string().optional(),
  /** Which engine runs it (default `opencode`). */
  engine: EngineName.optional(),
  files: z.array(z.string()),
  timeoutMs: z.number().int().positive(),
  dependsOn: z.array(z.string()),
  /** Extra system text for every prompt of the task (a runner's instructions, memories, mail). */
  system: z.string().optional(),
  /** Start by continuing this session instead of a new one (a runner's `--continue`). */
  continueSession: z.object({ sessionId: z.string(), server: z.string().optional() }).optional(),
});
export type TaskSpec = z.infer<typeof TaskSpec>;
