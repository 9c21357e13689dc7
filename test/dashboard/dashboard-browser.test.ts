import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page } from "playwright-core";
import {
  hasChromium,
  launchChromium,
  logIn,
  type RunningDaemon,
  startDaemon,
  startForeignSite,
} from "../helpers/dashboard-browser.ts";
import { processesOwnedBy } from "../helpers/processes.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

// The web dashboard in a real Chromium against a real daemon (built CLI, real OpenCode, scripted
// model). Waits are on the page's elements and events, never on time.
// DROVER_DASHBOARD_SCREENSHOT=docs/dashboard.png also saves the finished batch as a picture.
const screenshotTo = process.env.DROVER_DASHBOARD_SCREENSHOT;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

describe("web dashboard in Chromium", () => {
  let temp: ReturnType<typeof makeTempDir>;
  let daemon: RunningDaemon;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const newPage = async (): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);
    return page;
  };
  const submit = async (tasks: { id: string; prompt: string }[]) => {
    const { status, body } = await daemon.api<{ batchId: string }>("POST", "/v1/batches", { tasks });
    assert.equal(status, 201);
    return body.batchId;
  };
  const row = (taskId: string, status?: string) =>
    `tr[data-task-id="${taskId}"]${status ? `[data-status="${status}"]` : ""}`;

  before(async () => {
    // Not skipped without a browser: `.ci/run` installs Debian's chromium, and so should you.
    assert.ok(hasChromium(), "the dashboard tests need /usr/bin/chromium (apt-get install chromium)");
    temp = makeTempDir();
    daemon = await startDaemon(temp.dir);
    browser = await launchChromium();
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    daemon.run.child.kill("SIGTERM");
    assert.equal(await daemon.run.exited, 0);
    assert.deepEqual(processesOwnedBy(path.join(daemon.stateDir, "engines", "opencode")), []);
    temp.cleanup();
  });

  it("logs in with the API token; a wrong token stays on the login page with a message", async () => {
    const page = await newPage();
    await logIn(page, daemon, "drv_wrong-token");
    assert.match((await page.locator(".login-error").textContent()) ?? "", /not this daemon's API token/);
    assert.equal(await page.locator("header.top").count(), 0);
    const refused = await page.evaluate(async () => (await fetch("/v1/status")).status);
    assert.equal(refused, 401, "no API without a login");

    await logIn(page, daemon);
    await page.waitForSelector('[data-stream="live"]');
    assert.equal(new URL(page.url()).pathname, "/");
    assert.match((await page.locator("header.top").textContent()) ?? "", /Batches.*Inbox.*Slots and hosts/);
  });

  it("shows a task going from running to succeeded live, then its transcript and events", async () => {
    const page = await newPage();
    await logIn(page, daemon);
    await page.waitForSelector('[data-stream="live"]');
    await page.evaluate("window.sameDocument = true"); // gone if the page reloads
    const batchId = await submit([
      {
        // A command printing for about 4 s, then a slowly streamed answer: long enough to be seen running.
        id: "count",
        prompt:
          "[[bash for i in 1 2 3 4 5 6 7 8; do echo tick $i; sleep 0.5; done]] [[slow 200]] [[reply one two three four five six seven eight]]",
      },
      { id: "notes", prompt: "[[write notes.txt first notes]] [[reply wrote notes.txt]]" },
      { id: "check", prompt: "[[bash echo checked]] [[reply all checks pass]]" },
      { id: "deploy", prompt: "[[error 401]]" },
    ]);
    // The new batch appears on the list by itself (batch.created on the event stream).
    await page.click(`tr[data-batch-id="${batchId}"] a`);
    await page.waitForSelector(`${row("count", "running")} [data-liveness="in_tool"]`);
    await page.waitForSelector(row("count", "succeeded"));
    await page.waitForSelector(row("deploy", "failed"));
    assert.equal(await page.evaluate("window.sameDocument === true"), true, "updated without a reload");
    await page.locator(row("deploy")).filter({ hasText: "Invalid API key" }).waitFor();

    await page.waitForSelector(row("notes", "succeeded"));
    await page.waitForSelector(row("check", "succeeded"));
    if (screenshotTo) {
      await page.locator(".summary").filter({ hasText: "finished" }).waitFor();
      await page.setViewportSize({ width: 1100, height: 420 });
      await page.screenshot({ path: path.resolve(repoRoot, screenshotTo) });
    }

    await page.click(`${row("count")} a`);
    await page.waitForSelector('.summary[data-task-status="succeeded"]');
    await page
      .locator(".transcript")
      .filter({ hasText: "one two three four five six seven eight" })
      .waitFor();
    await page.locator(".events li").filter({ hasText: "running → succeeded" }).waitFor();
  });

  it("answers a permission request from the inbox", async () => {
    const inbox = await daemon.api("GET", "/v1/inbox?state=open");
    assert.equal(inbox.status, 200, "the daemon serves the inbox");
    const page = await newPage();
    await logIn(page, daemon);
    await page.waitForSelector('[data-stream="live"]');
    await page.goto(`${daemon.url}/#/inbox`);
    const batchId = await submit([{ id: "ask", prompt: "[[ask-permission]] [[reply wrote it]]" }]);
    // The item arrives through inbox.added on the event stream.
    const item = page.locator('li.inbox-item[data-inbox-state="open"]', { hasText: batchId });
    await item.locator('button[data-action="approve"]').click();
    await item.waitFor({ state: "detached" });
    const answered = await daemon.api<{ items: { batchId?: string; state: string; answeredBy?: string }[] }>(
      "GET",
      "/v1/inbox?state=all",
    );
    const mine = answered.body.items.find((entry) => entry.batchId === batchId);
    assert.equal(mine?.state, "approved");
    assert.equal(mine?.answeredBy, "dashboard");
    // OpenCode got the answer: the agent wrote its file and finished.
    await page.goto(`${daemon.url}/#/batches/${batchId}`);
    await page.waitForSelector(row("ask", "succeeded"));
  });

  it("refuses a form posted from another site with the dashboard's cookie; the page's own button works", async () => {
    const page = await newPage();
    await logIn(page, daemon);
    // The model never answers (the watchdog would act after watchdog.firstByte, 3 min): it stays
    // running until cancelled.
    const batchId = await submit([{ id: "long", prompt: "[[hang]]" }]);
    await page.goto(`${daemon.url}/#/batches/${batchId}`);
    await page.waitForSelector(row("long", "running")).catch(async (error: Error) => {
      const seen = await daemon.api("GET", `/v1/events?batch=${batchId}`);
      throw new Error(`${error.message}\nthe daemon's events: ${JSON.stringify(seen.body)}`);
    });

    const cancelUrl = `${daemon.url}/v1/batches/${batchId}/cancel`;
    const foreign = await startForeignSite(cancelUrl);
    const attack = await page.context().newPage();
    const [answer] = await Promise.all([
      attack.waitForResponse((response) => response.url() === cancelUrl),
      attack.goto(foreign.url),
    ]);
    assert.equal(answer.status(), 403, "refused, and not for want of a cookie (that would be 401)");
    assert.match(await answer.text(), /"code":"csrf_refused"/);
    await foreign.close();
    const task = await daemon.api<{ task: { state: string } }>("GET", `/v1/batches/${batchId}/tasks/long`);
    assert.equal(task.body.task.state, "running", "nothing was cancelled");

    await page.click('button[data-action="cancel-batch"]');
    await page.waitForSelector(row("long", "cancelled"));
  });
});
