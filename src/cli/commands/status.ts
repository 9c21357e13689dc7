import { existsSync } from "node:fs";
import type { Command } from "commander";
import { z } from "zod";
import { DroverError } from "../../core/errors.ts";
import { isFinal } from "../../core/task-states.ts";
import { measureDiskUse } from "../../workspace/disk-use.ts";
import { workspacePaths } from "../../workspace/workspace-paths.ts";
import type { CliContext } from "../context.ts";
import { formatBytes } from "../render/format.ts";
import { describeLiveness, describeWatchdog } from "../render/liveness.ts";
import { formatCounts } from "../render/task-table.ts";
import { type BatchSource, withSource } from "./batch-source.ts";
import { addStateOptions, loadFor, output, type StateFlags } from "./state-helpers.ts";

/** The parts of the daemon's `GET /v1/status` that `drover status` prints (the rest is passed on). */
const DaemonStatus = z.looseObject({
  capacity: z.looseObject({ used: z.number(), free: z.number(), slots: z.number() }),
  why: z.string(),
  byState: z.record(z.string(), z.number()),
  providerLimits: z.array(z.looseObject({ key: z.string(), limit: z.number(), until: z.number() })),
  fleet: z
    .looseObject({
      redis: z.string(),
      name: z.string(),
      hosts: z.array(
        z.looseObject({
          workerId: z.string(),
          host: z.string(),
          state: z.string(),
          slots: z.number(),
          running: z.number(),
          at: z.number(),
          detail: z.string().optional(),
        }),
      ),
    })
    .optional(),
  schedules: z
    .array(
      z.looseObject({
        name: z.string(),
        cron: z.string(),
        timezone: z.string(),
        paused: z.boolean(),
        next: z.number().nullable(),
      }),
    )
    .optional(),
});

/** Batches listed by `drover status`. */
const recentBatches = 10;

export function registerStatusCommand(program: Command, context: CliContext): void {
  addStateOptions(
    program
      .command("status")
      .description(
        "Show the daemon's slots (used/free and why) and tasks by state, and the recent batches with their tasks by state " +
          "(without a daemon: the batches, from the state dir)",
      ),
  ).action(async (flags: StateFlags) => {
    await withSource(flags, context, async (source) => {
      const daemon = source.daemon ? await daemonStatus(source) : undefined;
      const batches = await batchCounts(source);
      const lines = daemon
        ? [
            `daemon ${source.daemon?.url}`,
            `slots: ${daemon.capacity.used} used, ${daemon.capacity.free} free of ${daemon.capacity.slots} (limited by ${daemon.why})`,
            `tasks: ${
              Object.entries(daemon.byState)
                .map(([state, n]) => `${n} ${state}`)
                .join(", ") || "none unfinished"
            }`,
            ...daemon.providerLimits.map(
              (l) => `rate-limited: ${l.key} capped at ${l.limit} until ${new Date(l.until).toISOString()}`,
            ),
            ...fleetLines(daemon.fleet),
            ...scheduleLines(daemon.schedules),
          ]
        : [`daemon: not running for ${source.stateDir} (start one with \`drover daemon\`)`];
      const { root } = workspacePaths(loadFor(flags, context));
      const worktrees = existsSync(root) ? await measureDiskUse(root) : undefined;
      if (worktrees)
        lines.push(`worktrees: ${formatBytes(worktrees.bytes)} under ${root} (drover workspace ls)`);
      lines.push(batches.length ? "batches:" : "batches: none yet");
      const now = Date.now();
      for (const batch of batches) {
        lines.push(
          `  ${batch.id}  ${batch.finished ? "finished" : "running "}  ${formatCounts(batch.counts)}  ${batch.source}`,
        );
        for (const task of batch.running) {
          const watchdog = describeWatchdog(task.watchdog);
          lines.push(
            `    ${task.id}  ${task.liveness ? describeLiveness(task.liveness, now) : "starting"}${watchdog ? `  ${watchdog}` : ""}`,
          );
        }
      }
      output(
        context,
        flags,
        {
          daemon: source.daemon?.url ?? null,
          ...daemon,
          worktrees: { root, diskBytes: worktrees?.bytes ?? 0 },
          batches,
        },
        lines.join("\n"),
      );
    });
  });
}

/** Each schedule's next firing (or that it is paused). */
function scheduleLines(schedules: z.infer<typeof DaemonStatus>["schedules"]): string[] {
  if (!schedules?.length) return [];
  return [
    "schedules:",
    ...schedules.map(
      (s) =>
        `  ${s.name.padEnd(16)} ${s.paused ? "paused" : s.next === null ? "never fires again" : `next ${new Date(s.next).toISOString()}`}  "${s.cron}" ${s.timezone}`,
    ),
  ];
}

/** The fleet's hosts, one line each: slots used/free, last heartbeat, state. */
function fleetLines(fleet: z.infer<typeof DaemonStatus>["fleet"]): string[] {
  if (!fleet) return [];
  const lines = [
    `fleet "${fleet.name}" on ${fleet.redis}: ${fleet.hosts.length ? "" : "no workers yet"}`.trimEnd(),
  ];
  for (const host of fleet.hosts) {
    const seconds = Math.max(0, Math.round((Date.now() - host.at) / 1000));
    lines.push(
      `  ${host.host.padEnd(16)} ${host.state.padEnd(7)} ${host.running} used, ${Math.max(0, host.slots - host.running)} free of ${host.slots}  last heartbeat ${seconds}s ago  ${host.workerId}${host.detail ? `  (${host.detail})` : ""}`,
    );
  }
  return lines;
}

async function daemonStatus(source: BatchSource) {
  const answer = DaemonStatus.safeParse(await source.daemon?.request<unknown>("GET", "/v1/status"));
  if (!answer.success)
    throw new DroverError("internal", `unexpected status from the daemon: ${answer.error.message}`);
  return answer.data;
}

/** The recent batches, each with its tasks counted by state. */
async function batchCounts(source: BatchSource) {
  const listed = await source.listBatches(recentBatches);
  return Promise.all(
    listed.map(async (batch) => {
      const results = await source.results(batch.id);
      return {
        ...batch,
        finished: results.tasks.every((task) => isFinal(task.status)),
        counts: results.batch.counts,
        /** Running tasks: what each is doing, since when and why, and the watchdog's actions. */
        running: results.tasks
          .filter((task) => task.status === "running")
          .map((task) => ({
            id: task.id,
            ...(task.liveness ? { liveness: task.liveness } : {}),
            ...(task.watchdog ? { watchdog: task.watchdog } : {}),
          })),
      };
    }),
  );
}
