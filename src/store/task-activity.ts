import type { DroverEvent } from "../core/events.ts";
import { type Db, sql } from "./database.ts";

type ProgressEvent = Extract<DroverEvent, { type: "attempt.progress" }>;
type WatchdogEvent = Extract<DroverEvent, { type: "watchdog.action" }>;
type WorkspaceEvent = Extract<DroverEvent, { type: "workspace" }>;

/** What a task is doing now and what the watchdog did to it, read from its events. */
export interface TaskActivity {
  /** The latest progress report of the task's latest attempt. */
  progress?: ProgressEvent;
  /** Every watchdog action on the task, oldest first. */
  watchdog: WatchdogEvent[];
  /** The latest time a ready task was held back by an overlapping task on its repository. */
  waiting?: WorkspaceEvent;
}

interface Row {
  seq: number;
  ts: number;
  body: string;
}

/** Per task of a batch: its latest progress and its watchdog actions (two indexed reads). */
export function readTaskActivity(db: Db, batchId: string): Map<string, TaskActivity> {
  const parse = <T>(row: Row) => ({ ...(JSON.parse(row.body) as object), seq: row.seq, ts: row.ts }) as T;
  const out = new Map<string, TaskActivity>();
  const entry = (taskId: string) => {
    let found = out.get(taskId);
    if (!found) {
      found = { watchdog: [] };
      out.set(taskId, found);
    }
    return found;
  };
  const latest = sql(
    db,
    `select seq, ts, body from events where seq in (
       select max(seq) from events where batch_id = ? and type = 'attempt.progress' group by task_id)`,
  ).all(batchId) as Row[];
  for (const row of latest) {
    const event = parse<ProgressEvent>(row);
    entry(event.taskId).progress = event;
  }
  const actions = sql(
    db,
    "select seq, ts, body from events where batch_id = ? and type = 'watchdog.action' order by seq",
  ).all(batchId) as Row[];
  for (const row of actions) {
    const event = parse<WatchdogEvent>(row);
    entry(event.taskId).watchdog.push(event);
  }
  const waits = sql(
    db,
    `select seq, ts, body from events where seq in (
       select max(seq) from events where batch_id = ? and type = 'workspace'
         and json_extract(body, '$.action') = 'waiting' group by task_id)`,
  ).all(batchId) as Row[];
  for (const row of waits) {
    const event = parse<WorkspaceEvent>(row);
    entry(event.taskId).waiting = event;
  }
  return out;
}
