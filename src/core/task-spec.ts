import { z } from "zod";

/** A validated task, as stored and dispatched: paths absolute, defaults applied. */
export const TaskSpec = z.object({
  id: z.string(),
  prompt: z.string(),
  title: z.string(),
  dir: z.string(),
  model: z.string(),
  agent: z.string().optional(),
  files: z.array(z.string()),
  timeoutMs: z.number().int().positive(),
  dependsOn: z.array(z.string()),
});
export type TaskSpec = z.infer<typeof TaskSpec>;
