import { z } from "zod";

/** `hooks.github`: issues and comments on GitHub that become tasks (`POST /hooks/github`). */
export const GithubHookSettings = z.strictObject({
  secretEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable's name")
    .default("DROVER_GITHUB_WEBHOOK_SECRET")
    .describe("The environment variable holding the webhook's secret (never the secret itself in the file)."),
  label: z.string().min(1).default("drover").describe("An issue labelled with this becomes a task."),
  command: z
    .string()
    .regex(/^\/\S+$/, 'a slash command such as "/drover"')
    .default("/drover")
    .describe("A comment starting with this (then the prompt) becomes a task."),
  allowedUsers: z
    .array(z.string().min(1))
    .default([])
    .describe("GitHub logins whose labels and comments may dispatch; empty: nobody (deny by default)."),
  deliver: z.enum(["pr", "branch"]).default("pr").describe("How the task's branch is delivered."),
});
export type GithubHookSettings = z.infer<typeof GithubHookSettings>;

export const HookSettings = z.strictObject({
  github: GithubHookSettings.default(() => GithubHookSettings.parse({})),
});
export type HookSettings = z.infer<typeof HookSettings>;
