import type { DroverEvent } from "../../core/events.ts";
import type { TaskSpec } from "../../core/task-spec.ts";
import type { SubmitResult } from "../../supervisor/supervisor.ts";
import type { CliContext } from "../context.ts";
import type { DaemonClient } from "../daemon-client.ts";
import { exitCodes } from "../exit-codes.ts";
import { jsonLinesWriter } from "../render/json-lines.ts";
import { renderSummary } from "../render/summary-table.ts";
import type { TtyProgress } from "../render/tty-progress.ts";
import { writeResultsFile } from "../write-results-file.ts";
import { taskBody } from "./api-commands.ts";
import { openBatchSource } from "./batch-source.ts";
import { watchBatch } from "./batch-watch.ts";
import type { StateFlags } from "./state-helpers.ts";

export interface RunViaDaemonInput {
  daemon: DaemonClient;
  specs: readonly TaskSpec[];
  source: string;
  strategy?: string;
  /** The batch's budget in USD (the task file's `budget`). */
  budget?: number;
  idempotencyKeys?: ReadonlyMap<string, string>;
  /** Tasks marked `decompose: true`: the daemon splits them. */
  decompose?: ReadonlySet<string>;
  outFile: string;
  progress: TtyProgress | undefined;
  flags: StateFlags;
  /** Flags the daemon's own settings override, to say so once. */
  ignoredFlags: string[];
}

/**
 * `drover run` when a daemon runs for the state dir: the batch goes to the daemon (its warm pool,
 * no second pool, no cold start), and this command follows it with the same live view or JSON
 * lines, then writes the same summary, `results.json` and exit code. Ctrl-C cancels the batch.
 */
export async function runViaDaemon(input: RunViaDaemonInput, context: CliContext): Promise<number> {
  const { daemon, progress } = input;
  const json = progress === undefined;
  const writeJson = jsonLinesWriter((line) => context.stdout.write(line));
  const show = (event: DroverEvent) => (progress ? progress.handle(event) : writeJson(event));
  const ignored = input.ignoredFlags.length ? ` (${input.ignoredFlags.join(", ")} ignored)` : "";
  const note = `drover: handing the batch to the daemon at ${daemon.url}${ignored}; --local runs it here`;
  if (json) context.stderr.write(`${note}\n`);
  else progress.note(note);

  const submitted = await daemon.request<SubmitResult>("POST", "/v1/batches", {
    source: input.source,
    ...(input.strategy ? { strategy: input.strategy } : {}),
    ...(input.budget !== undefined ? { budget: input.budget } : {}),
    // The tasks were checked here, secrets scan and its overrides included.
    defaults: { allowSecrets: true },
    tasks: input.specs.map((spec) => ({
      ...taskBody(spec, input.idempotencyKeys?.get(spec.id)),
      ...(input.decompose?.has(spec.id) ? { decompose: true } : {}),
    })),
  });
  const { batchId } = submitted;
  if (progress) progress.note(`drover: ${batchId} on the daemon`);

  const following = new AbortController();
  let interruptedBy: NodeJS.Signals | undefined;
  const removeSignals = context.onSignals((signal) => {
    if (interruptedBy) {
      context.stderr.write(`\ndrover: ${signal} again, stopping now (the daemon finishes cancelling)\n`);
      context.forceExit(exitCodes.interrupted);
      return;
    }
    interruptedBy = signal;
    progress?.note(`drover: ${signal} received, cancelling ${batchId}…`);
    void daemon
      .request("POST", `/v1/batches/${encodeURIComponent(batchId)}/cancel`)
      .catch((error: unknown) =>
        context.stderr.write(`drover: cannot cancel ${batchId}: ${String(error)}\n`),
      );
  });
  const source = openBatchSource(input.flags, context);
  try {
    await watchBatch(source, {
      batchId,
      signal: following.signal,
      onHistory: (events) => {
        for (const event of events) show(event);
      },
      onEvent: show,
    });
    const results = await source.results(batchId);
    writeResultsFile(input.outFile, results);
    progress?.stop();
    const summary = renderSummary(results, input.outFile);
    if (json) {
      context.stdout.write(
        `${JSON.stringify({ type: "batch.results", file: input.outFile, ...results.batch })}\n`,
      );
      context.stderr.write(`${summary}\n`);
    } else {
      context.stdout.write(`\n${summary}\n`);
    }
    if (interruptedBy) return exitCodes.interrupted;
    return results.batch.ok ? exitCodes.ok : exitCodes.notAllSucceeded;
  } finally {
    removeSignals();
    following.abort();
    await source.close();
  }
}
