import path from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { scheduleServiceOn } from "../../app-schedules.ts";
import { DroverError } from "../../core/errors.ts";
import { localTimeZone } from "../../schedules/cron-slots.ts";
import { ScheduleView } from "../../schedules/schedule-service.ts";
import { FiringRecord } from "../../store/schedules.ts";
import type { CliContext } from "../context.ts";
import { DaemonClient } from "../daemon-client.ts";
import { exitCodes } from "../exit-codes.ts";
import { addStateOptions, loadFor, output, type StateFlags, withState } from "./state-helpers.ts";

interface AddFlags extends StateFlags {
  cron: string;
  file?: string;
  prompt?: string;
  runner?: string;
  dir?: string;
  tz?: string;
  overlap?: string;
  catchUp?: string;
  paused?: boolean;
}

/** What every schedule command does, through the daemon's API or, without a daemon, on the state dir. */
interface ScheduleAccess {
  add(body: Record<string, unknown>): Promise<ScheduleView>;
  list(): Promise<ScheduleView[]>;
  pause(name: string): Promise<ScheduleView>;
  resume(name: string): Promise<ScheduleView>;
  remove(name: string): Promise<void>;
  run(name: string): Promise<FiringRecord>;
  history(name: string, limit: number): Promise<FiringRecord[]>;
}

export function registerScheduleCommands(program: Command, context: CliContext): void {
  const schedule = program
    .command("schedule")
    .description(
      "Cron schedules the daemon fires: each slot submits a batch (a task file, a prompt, or a runner's prompt) once",
    );
  addStateOptions(
    schedule
      .command("add")
      .description(
        "add a schedule (its cron and time zone are checked, its task file read now and at every firing)",
      )
      .argument("<name>", "letters, digits, _ or -, starting with a letter")
      .requiredOption(
        "--cron <expr>",
        'cron: 5 fields (minute hour day month weekday) or 6 (seconds first), e.g. "0 2 * * *"',
      )
      .option("--file <tasks.yaml>", "task file to run (read again at each firing, so edits apply)")
      .option("--prompt <text>", "run this prompt as one task (with --runner: as the runner)")
      .option("--runner <name>", "run --prompt as this runner")
      .option("--dir <path>", "working directory of --prompt (default: current directory)")
      .option("--tz <zone>", "IANA time zone of the cron (default: this machine's)")
      .option("--overlap <policy>", "while the previous firing's batch runs: skip (default), queue or allow")
      .option("--catch-up <policy>", "slots missed while no daemon ran: none (default) or last")
      .option("--paused", "add it paused"),
  ).action((name: string, flags: AddFlags) =>
    withAccess(flags, context, async (access) => {
      const added = await access.add({
        name,
        cron: flags.cron,
        timezone: flags.tz ?? localTimeZone(),
        ...(flags.file !== undefined ? { file: path.resolve(context.cwd, flags.file) } : {}),
        ...(flags.prompt !== undefined ? { prompt: flags.prompt } : {}),
        ...(flags.runner !== undefined ? { runner: flags.runner } : {}),
        ...(flags.dir !== undefined || (flags.prompt !== undefined && flags.runner === undefined)
          ? { dir: path.resolve(context.cwd, flags.dir ?? ".") }
          : {}),
        ...(flags.overlap !== undefined ? { overlap: flags.overlap } : {}),
        ...(flags.catchUp !== undefined ? { catchUp: flags.catchUp } : {}),
        ...(flags.paused ? { paused: true } : {}),
      });
      output(context, flags, added, `added schedule ${describeSchedule(added)}`);
    }),
  );
  addStateOptions(schedule.command("list").description("the schedules and when each fires next")).action(
    (flags: StateFlags) =>
      withAccess(flags, context, async (access) => {
        const all = await access.list();
        output(
          context,
          flags,
          { schedules: all },
          all.length
            ? all.map(describeSchedule).join("\n")
            : "no schedules (drover schedule add NAME --cron …)",
        );
      }),
  );
  for (const action of ["pause", "resume"] as const) {
    addStateOptions(
      schedule
        .command(action)
        .description(
          action === "pause" ? "stop firing a schedule" : "fire a paused schedule again, from now on",
        )
        .argument("<name>"),
    ).action((name: string, flags: StateFlags) =>
      withAccess(flags, context, async (access) => {
        const changed = await access[action](name);
        output(
          context,
          flags,
          changed,
          `${action === "pause" ? "paused" : "resumed"} ${describeSchedule(changed)}`,
        );
      }),
    );
  }
  addStateOptions(
    schedule
      .command("rm")
      .description("remove a schedule and its history (its batches stay)")
      .argument("<name>"),
  ).action((name: string, flags: StateFlags) =>
    withAccess(flags, context, async (access) => {
      await access.remove(name);
      output(context, flags, { removed: name }, `removed schedule ${name}`);
    }),
  );
  addStateOptions(
    schedule
      .command("run")
      .description("fire a schedule now (needs the daemon); prints its batch")
      .argument("<name>"),
  ).action((name: string, flags: StateFlags) =>
    withAccess(flags, context, async (access) => {
      const firing = await access.run(name);
      output(context, flags, firing, describeFiring(firing));
      if (firing.status !== "fired") context.setExitCode(exitCodes.notAllSucceeded);
    }),
  );
  addStateOptions(
    schedule
      .command("history")
      .description("a schedule's firings, latest first: slot, what happened (fired, skipped, missed…), batch")
      .argument("<name>")
      .option("--limit <n>", "how many (default 20)", "20"),
  ).action((name: string, flags: StateFlags & { limit: string }) =>
    withAccess(flags, context, async (access) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new DroverError("bad_input", `--limit: "${flags.limit}" is not a whole number of at least 1`);
      const firings = await access.history(name, limit);
      output(
        context,
        flags,
        { firings },
        firings.length ? firings.map(describeFiring).join("\n") : `schedule ${name} has not fired yet`,
      );
    }),
  );
}

/** Runs `work` against the daemon of the state dir when one runs, else on the state dir itself. */
async function withAccess(
  flags: StateFlags,
  context: CliContext,
  work: (access: ScheduleAccess) => Promise<void>,
): Promise<void> {
  const daemon = DaemonClient.find(loadFor(flags, context).stateDir);
  if (daemon) return work(daemonAccess(daemon));
  await withState(flags, context, (state) => {
    const service = scheduleServiceOn(state, context.cwd);
    return work({
      add: (body) => service.add(body),
      list: async () => service.list(),
      pause: async (name) => service.pause(name),
      resume: async (name) => service.resume(name),
      remove: async (name) => service.remove(name),
      run: (name) => service.run(name),
      history: async (name, limit) => service.history(name, limit),
    });
  });
}

function daemonAccess(daemon: DaemonClient): ScheduleAccess {
  const call = async <T>(
    schema: z.ZodType<T>,
    method: "GET" | "POST" | "DELETE",
    route: string,
    body?: unknown,
  ) => {
    const parsed = schema.safeParse(await daemon.request<unknown>(method, route, body));
    if (!parsed.success)
      throw new DroverError(
        "internal",
        `unexpected answer from the daemon for ${route}: ${parsed.error.message}`,
      );
    return parsed.data;
  };
  const one = z.object({ schedule: ScheduleView });
  const route = (name: string, tail = "") => `/v1/schedules/${encodeURIComponent(name)}${tail}`;
  return {
    add: async (body) => (await call(one, "POST", "/v1/schedules", body)).schedule,
    list: async () =>
      (await call(z.object({ schedules: z.array(ScheduleView) }), "GET", "/v1/schedules")).schedules,
    pause: async (name) => (await call(one, "POST", route(name, "/pause"))).schedule,
    resume: async (name) => (await call(one, "POST", route(name, "/resume"))).schedule,
    remove: async (name) => void (await call(z.object({ removed: z.string() }), "DELETE", route(name))),
    run: async (name) => (await call(z.object({ firing: FiringRecord }), "POST", route(name, "/run"))).firing,
    history: async (name, limit) =>
      (
        await call(
          z.object({ firings: z.array(FiringRecord) }),
          "GET",
          route(name, `/history?limit=${limit}`),
        )
      ).firings,
  };
}

function describeSchedule(schedule: ScheduleView): string {
  const work =
    schedule.runner !== undefined
      ? `runner ${schedule.runner}: ${oneLine(schedule.prompt ?? "")}`
      : schedule.file !== undefined
        ? `file ${schedule.file}`
        : `prompt ${oneLine(schedule.prompt ?? "")}`;
  const next = schedule.paused
    ? "paused"
    : schedule.next === null
      ? "never fires again"
      : `next ${new Date(schedule.next).toISOString()}`;
  const last = schedule.lastFiring ? `; last: ${describeFiring(schedule.lastFiring)}` : "";
  return `${schedule.name}  "${schedule.cron}" ${schedule.timezone}  ${next}  (${work}; overlap ${schedule.overlap}, catch-up ${schedule.catchUp})${last}`;
}

function describeFiring(firing: FiringRecord): string {
  const detail = firing.batchId ?? firing.reason ?? "";
  return `${new Date(firing.slot).toISOString()}  ${firing.status}  ${firing.trigger}  ${detail}`.trimEnd();
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}
