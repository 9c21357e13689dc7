import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { type CliRun, runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";
import { waitFor } from "../helpers/wait-for.ts";

// Generic webhooks in (a signed JSON body mapped to a task through a template) and notifications
// out (a finished batch to a signed webhook, a new inbox item to a Discord channel webhook), on a
// real daemon with the scripted model.

const hookSecret = "hook-secret-for-tests";
const notifySecret = "notify-secret-for-tests";
const sign = (secret: string, body: string) =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

interface Received {
  path: string;
  signature?: string;
  raw: string;
}

describe("generic webhooks and notifications (real daemon)", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let daemon: CliRun;
  let url: string;
  let receiver: Server;
  const received: Received[] = [];

  const deliver = (name: string, payload: unknown, secret = hookSecret) => {
    const body = JSON.stringify(payload);
    return fetch(`${url}/v1/hooks/${name}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-drover-signature": sign(secret, body) },
      body,
    });
  };

  before(async () => {
    temp = makeTempDir();
    mkdirSync(path.join(temp.dir, "work"));
    receiver = createServer((req, res) => {
      let raw = "";
      req.on("data", (chunk: Buffer) => (raw += chunk.toString()));
      req.on("end", () => {
        const signature = req.headers["x-drover-signature"];
        received.push({ path: req.url ?? "", raw, ...(typeof signature === "string" ? { signature } : {}) });
        res.writeHead(204);
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    writeFileSync(
      path.join(temp.dir, "drover.json"),
      JSON.stringify({
        retry: { maxAttempts: 1 },
        webhooks: {
          alert: {
            secretEnv: "ALERT_HOOK_SECRET",
            task: { id: "alert-{{alert.id}}", prompt: "[[reply handled {{alert.title}}]]", dir: "work" },
          },
          raw: { secretEnv: "ALERT_HOOK_SECRET", task: { id: "raw", prompt: "{{text}}", dir: "work" } },
        },
        notify: [
          {
            on: ["batch.finished"],
            to: { webhook: { url: `${base}/finished`, secretEnv: "NOTIFY_SECRET" } },
          },
          { on: ["inbox.added"], to: { discord: { webhookUrl: `${base}/discord/webhooks/1/t` } } },
        ],
      }),
    );
    daemon = runDrover(["daemon", "--port", "0", "--state-dir", "state"], {
      cwd: temp.dir,
      env: { ALERT_HOOK_SECRET: hookSecret, NOTIFY_SECRET: notifySecret },
    });
    await daemon.waitForOutput(/listening on/);
    url = /listening on (http:\/\/[^\s)]+)/.exec(daemon.stdout())?.[1] ?? "";
  });
  after(async () => {
    daemon.child.kill("SIGTERM");
    await daemon.exited;
    receiver.closeAllConnections();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    temp.cleanup();
  });

  it("refuses a wrong signature (401), an unknown hook (404) and a body missing a template field (400)", async () => {
    assert.equal((await deliver("alert", { alert: { id: 1, title: "x" } }, "not-the-secret")).status, 401);
    assert.equal((await deliver("nope", {})).status, 404);
    const missing = await deliver("alert", { alert: { id: 2 } });
    assert.equal(missing.status, 400);
    assert.match(((await missing.json()) as { error: string }).error, /the body has no alert\.title/);
  });

  it("turns a signed body into its task, and notifies the finished batch to a signed webhook", async () => {
    const answer = await deliver("alert", { alert: { id: 42, title: "disk full" } });
    assert.equal(answer.status, 202);
    const { batchId, taskId } = (await answer.json()) as { batchId: string; taskId: string };
    assert.equal(taskId, "alert-42");
    await waitFor(() => received.some((r) => r.path === "/finished" && r.raw.includes(batchId)), 120_000);
    const note = received.find((r) => r.path === "/finished" && r.raw.includes(batchId)) as Received;
    assert.equal(note.signature, sign(notifySecret, note.raw), "signed with the notify secret");
    const body = JSON.parse(note.raw) as {
      event: { type: string; counts: Record<string, number> };
      text: string;
    };
    assert.equal(body.event.type, "batch.finished");
    assert.deepEqual(body.event.counts, { succeeded: 1 });
    assert.match(body.text, /finished in \d+s: 1 succeeded/);
  });

  it("notifies a new inbox item (a task failed) to a Discord channel webhook", async () => {
    const answer = await deliver("raw", { text: "[[error 401]]" });
    assert.equal(answer.status, 202);
    await waitFor(() => received.some((r) => r.path.startsWith("/discord/")), 120_000);
    const posted = JSON.parse(received.find((r) => r.path.startsWith("/discord/"))?.raw ?? "{}") as {
      content: string;
    };
    assert.match(posted.content, /^drover inbox \(failed\): bat_\w+\/raw failed after its retries/);
  });
});
