import { execFileSync } from "node:child_process";
import path from "node:path";
import type { DroverApp } from "./app.ts";
import { GithubHookService } from "./hooks/github-hook-service.ts";
import type { TaskDocument } from "./intake/read-task-file.ts";
import { checkTaskModels } from "./supervisor/dispatch-batch.ts";
import { ownerAndName } from "./workspace/remote-url.ts";
import { repoSettingsFor } from "./workspace/workspace-paths.ts";

// The webhooks part of the composition root: GitHub deliveries become tasks through the same
// intake checks as the API, in repositories the config's `repos` names.

export function startGithubHook(
  app: DroverApp,
  env: NodeJS.ProcessEnv,
  parseTasks: (body: unknown) => TaskDocument,
): GithubHookService {
  const { loaded } = app;
  const settings = loaded.config.hooks.github;
  const repoFor = repositoriesByName(app);
  return new GithubHookService({
    settings,
    secret: env[settings.secretEnv] || undefined,
    repoFor: (fullName) => repoFor.get(fullName.toLowerCase()),
    submit: async (document, source) => {
      const parsed = parseTasks(document);
      await checkTaskModels(app.engine, parsed.specs, source, app.supervisor);
      const result = app.supervisor.submit({
        specs: parsed.specs,
        source,
        idempotencyKeys: parsed.idempotencyKeys,
      });
      return { batchId: result.batchId, created: result.created.length > 0 };
    },
    token: (repository) =>
      app.githubToken
        ? app.githubToken(repository)
        : Promise.resolve({ ok: false, message: "no GitHub token: set `tokens` in drover.json" }),
    bus: app.bus,
    store: app.store,
    report: (event) => app.store.reportEvent(event),
  });
}

/** "owner/name" (lower case) → the repository's folder and API URL, for every entry of `repos`. */
function repositoriesByName(app: DroverApp): Map<string, { path: string; apiUrl: string }> {
  const { loaded } = app;
  const settingsOf = repoSettingsFor(loaded);
  const found = new Map<string, { path: string; apiUrl: string }>();
  for (const key of Object.keys(loaded.config.repos)) {
    const repoPath = path.resolve(loaded.root, key);
    const settings = settingsOf(repoPath);
    const named = settings.github.repo ?? remoteName(repoPath, settings.remote);
    if (named) found.set(named.toLowerCase(), { path: repoPath, apiUrl: settings.github.apiUrl });
  }
  return found;
}

function remoteName(repoPath: string, remote: string): string | undefined {
  try {
    const url = execFileSync("git", ["-C", repoPath, "remote", "get-url", remote], {
      encoding: "utf8",
    }).trim();
    const parsed = ownerAndName(url);
    return parsed ? `${parsed.owner}/${parsed.name}` : undefined;
  } catch {
    return undefined;
  }
}

/** Submits a generic hook's filled task (the same intake checks as the API). */
export function submitHookTask(app: DroverApp, parseTasks: (body: unknown) => TaskDocument) {
  return async (task: Record<string, unknown>, source: string) => {
    const parsed = parseTasks({ tasks: [task] });
    await checkTaskModels(app.engine, parsed.specs, source, app.supervisor);
    const result = app.supervisor.submit({ specs: parsed.specs, source });
    return { batchId: result.batchId, created: result.created.length > 0 };
  };
}
