import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src");

/** Which domain folders each folder may import from (STYLE.md: imports point one way). */
const allowed: Record<string, readonly string[]> = {
  core: [],
  config: ["core"],
  store: ["core", "security"],
  queue: ["core", "config", "store"],
  // security: an OpenCode server's password is registered for redaction where it is made.
  engines: ["core", "config", "watchdog", "security", "sandbox"],
  watchdog: ["core", "config"],
  fleet: ["core", "config", "queue", "engines", "supervisor"],
  "mock-model": ["core"],
  intake: ["core", "config", "security"],
  supervisor: [
    "core",
    "config",
    "store",
    "queue",
    "engines",
    "intake",
    "workspace",
    "spend",
    "routing",
    "security",
  ],
  // Prices, what an attempt cost, and the spend report (the ledger itself is a store table).
  spend: ["core", "config", "store"],
  // Model routing: tiers of candidates, fallbacks, the Claude subscription preference.
  routing: ["core", "config", "security"],
  // Webhooks that dispatch work (GitHub): signature, events, the one comment.
  hooks: ["core", "config", "store", "security"],
  // Chat that dispatches work (Slack): policy, one task per channel, replies.
  chat: ["core", "config", "store", "security"],
  // Notifications out: finished batches and inbox items to chat or a signed webhook.
  notify: ["core", "config"],
  // Git worktrees, result commits and delivery (branches, pull requests, the merge queue).
  workspace: ["core", "config", "security"],
  // Splitting a brief into a task graph with a model (classify, split, recurse).
  decompose: ["core", "config", "engines", "intake"],
  // The model gateway between engines and providers: it holds the real keys, workers never do.
  gateway: ["core", "config", "security"],
  // The egress proxy: network tiers and the proxy the servers' tools go through.
  egress: ["core", "config"],
  sandbox: ["core"],
  memory: ["core", "store", "security"],
  mailbox: ["core", "store", "security"],
  runners: ["core", "config", "store", "supervisor", "memory", "mailbox", "security"],
  security: ["core"],
  inbox: ["core", "store", "engines"],
  // Schedules fire batches (task files, prompts) or runner runs through the supervisor.
  schedules: ["core", "config", "store", "supervisor", "intake", "runners", "security"],
  logging: ["core", "security"],
  metrics: ["core", "store", "supervisor", "fleet"],
  // The web dashboard runs in the browser: it only takes types from core.
  dashboard: ["core"],
  server: [
    "core",
    "config",
    "store",
    "queue",
    "supervisor",
    "engines",
    "intake",
    "security",
    "memory",
    "mailbox",
    "runners",
    "fleet",
    "inbox",
    "workspace",
    "decompose",
    "schedules",
    "spend",
    "hooks",
    "chat",
    "notify",
  ],
  cli: ["*"],
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : /\.tsx?$/.test(entry.name) ? [full] : [];
  });
}

describe("module boundaries", () => {
  it("imports point one way between domain folders", () => {
    const problems: string[] = [];
    for (const file of filesUnder(src)) {
      const rel = path.relative(src, file);
      const domain = rel.includes(path.sep) ? (rel.split(path.sep)[0] as string) : "(root)";
      if (domain === "(root)") continue; // app.ts and index.ts wire everything
      const rules = allowed[domain];
      assert.ok(rules, `no import rule for src/${domain}`);
      if (rules.includes("*")) continue;
      for (const match of readFileSync(file, "utf8").matchAll(/from "(\.[^"]+)"/g)) {
        const target = path.relative(src, path.resolve(path.dirname(file), match[1] as string));
        const targetDomain = target.includes(path.sep) ? (target.split(path.sep)[0] as string) : "(root)";
        if (targetDomain === domain) continue;
        if (!rules.includes(targetDomain)) problems.push(`src/${rel} imports src/${target}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it("only the store (and the embedded queue's own table) imports the SQLite driver", () => {
    // The embedded queue backend keeps ready work and leases in its own table; task state stays in the store.
    const queueTable = path.join("queue", "contract", "sqlite-queue-tables.ts");
    const offenders = filesUnder(src)
      .filter((file) => /from "better-sqlite3"/.test(readFileSync(file, "utf8")))
      .map((file) => path.relative(src, file))
      .filter((rel) => !rel.startsWith(`store${path.sep}`) && rel !== queueTable);
    assert.deepEqual(offenders, []);
  });
});
