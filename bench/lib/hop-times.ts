/** An event as `drover run --json` prints it (the fields the hop times read). */
export interface TimedEvent {
  type: string;
  ts?: number;
  taskId?: string;
  action?: string;
  to?: string;
}

/** Median milliseconds of each hop of a task's life, from the batch's event stream. */
export interface HopTimes {
  /** supervisor.launch → fleet.attempt claimed (fleet only: the job crossing Redis to a worker). */
  launchToClaim?: number;
  /** launch (or claim) → attempt.session: a session made on OpenCode. */
  toSession: number;
  /** attempt.session → attempt.finished: the agent's work. */
  sessionToFinish: number;
  /** attempt.finished → task.state succeeded: settling (fleet: the result crossing back). */
  finishToSettle: number;
  /** A task settled → the next launch: how fast a freed slot is used again. */
  settleToNextLaunch: number;
  /** The 90th percentile of each hop: a slow tail (jobs waiting in Redis, say) hides behind a median. */
  p90: { launchToClaim?: number; toSession: number; sessionToFinish: number; finishToSettle: number };
}

/**
 * Where a batch's time goes, hop by hop (medians over its tasks). The event timestamps come from
 * the process that recorded each event (the daemon records the fleet's too), so they share a clock.
 */
export function hopTimes(events: readonly TimedEvent[]): HopTimes {
  const first = (type: string, taskId: string, extra?: (event: TimedEvent) => boolean) =>
    events.find((event) => event.type === type && event.taskId === taskId && (!extra || extra(event)))?.ts;
  const taskIds = [
    ...new Set(events.filter((e) => e.type === "supervisor.launch").map((e) => e.taskId ?? "")),
  ];
  const claims: number[] = [];
  const sessions: number[] = [];
  const works: number[] = [];
  const settles: number[] = [];
  for (const taskId of taskIds) {
    const launch = first("supervisor.launch", taskId);
    const claim = first("fleet.attempt", taskId, (e) => e.action === "claimed");
    const session = first("attempt.session", taskId);
    const finish = first("attempt.finished", taskId);
    const settle = first("task.state", taskId, (e) => e.to === "succeeded");
    if (launch === undefined || session === undefined || finish === undefined || settle === undefined)
      continue;
    if (claim !== undefined) claims.push(claim - launch);
    sessions.push(session - (claim ?? launch));
    works.push(finish - session);
    settles.push(settle - finish);
  }
  const settledAt = events
    .filter((e) => e.type === "task.state" && e.to === "succeeded" && e.ts !== undefined)
    .map((e) => e.ts as number)
    .sort((a, b) => a - b);
  const launches = events
    .filter((e) => e.type === "supervisor.launch" && e.ts !== undefined)
    .map((e) => e.ts as number)
    .sort((a, b) => a - b);
  // Each launch after the first wave waits for a slot: pair it with the latest settle before it.
  const refills: number[] = [];
  for (const launch of launches) {
    const before = settledAt.filter((at) => at <= launch).at(-1);
    if (before !== undefined) refills.push(launch - before);
  }
  return {
    ...(claims.length ? { launchToClaim: median(claims) } : {}),
    toSession: median(sessions),
    sessionToFinish: median(works),
    finishToSettle: median(settles),
    settleToNextLaunch: median(refills),
    p90: {
      ...(claims.length ? { launchToClaim: quantile(claims, 0.9) } : {}),
      toSession: quantile(sessions, 0.9),
      sessionToFinish: quantile(works, 0.9),
      finishToSettle: quantile(settles, 0.9),
    },
  };
}

function median(values: number[]): number {
  return quantile(values, 0.5);
}

function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] as number;
}

/** One line for the bench's log: `launch→claim 12 ms (p90 30) · →session 40 ms (p90 90) · …`. */
export function describeHops(hops: HopTimes): string {
  const ms = (n: number, tail?: number) =>
    `${Math.round(n)} ms${tail === undefined ? "" : ` (p90 ${Math.round(tail)})`}`;
  return [
    ...(hops.launchToClaim !== undefined
      ? [`launch→claim ${ms(hops.launchToClaim, hops.p90.launchToClaim)}`]
      : []),
    `→session ${ms(hops.toSession, hops.p90.toSession)}`,
    `session→finished ${ms(hops.sessionToFinish, hops.p90.sessionToFinish)}`,
    `finished→settled ${ms(hops.finishToSettle, hops.p90.finishToSettle)}`,
    `settled→next launch ${ms(hops.settleToNextLaunch)}`,
  ].join(" · ");
}
