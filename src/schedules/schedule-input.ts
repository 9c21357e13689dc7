import path from "node:path";
import { z } from "zod";
import { ScheduleCatchUp, ScheduleOverlap } from "../store/schedules.ts";

export const scheduleNamePattern = /^[a-zA-Z][a-zA-Z0-9_-]{0,39}$/;

export const ScheduleName = z
  .string()
  .regex(scheduleNamePattern, "must be a letter, then up to 39 letters, digits, _ or -");

const absolutePath = z.string().min(1).refine(path.isAbsolute, "must be an absolute path");

/**
 * A new schedule, as `POST /v1/schedules` takes it. It runs exactly one of: a task `file` (read
 * again at every firing, so edits apply), one `prompt` (in `dir`), or a `runner` with a `prompt`.
 */
export const ScheduleInput = z
  .strictObject({
    name: ScheduleName,
    cron: z.string().min(1).describe("5 fields (minute hour day month weekday) or 6 (seconds first)"),
    timezone: z.string().min(1).optional().describe("IANA time zone (default: the daemon's)"),
    file: absolutePath.optional(),
    prompt: z.string().min(1).optional(),
    dir: absolutePath.optional().describe("the prompt's working directory (default: the daemon's)"),
    runner: z.string().min(1).optional(),
    overlap: ScheduleOverlap.default("skip").describe("when the previous firing's batch still runs"),
    catchUp: ScheduleCatchUp.default("none").describe("slots missed while no daemon ran"),
    paused: z.boolean().default(false),
  })
  .superRefine((input, context) => {
    const problem = (path: string, message: string) =>
      context.addIssue({ code: "custom", path: [path], message });
    if (input.file !== undefined && (input.prompt !== undefined || input.runner !== undefined))
      problem("file", "give a task file, a prompt, or a runner with a prompt: one of them");
    else if (input.file === undefined && input.prompt === undefined)
      problem(input.runner === undefined ? "file" : "prompt", "nothing to run: give a task file or a prompt");
    if (input.dir !== undefined && (input.prompt === undefined || input.runner !== undefined))
      problem("dir", "dir is for a prompt (a task file sets its own dirs, a runner has its own)");
  });
export type ScheduleInput = z.input<typeof ScheduleInput>;
