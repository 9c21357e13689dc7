import { postJson, seg } from "./api.ts";
import type { TaskState } from "./api-types.ts";
import { ActionButton } from "./components.tsx";

const finalStates: ReadonlySet<string> = new Set([
  "succeeded",
  "failed",
  "blocked",
  "timed_out",
  "cancelled",
]);

export const isFinalState = (state: TaskState | string): boolean => finalStates.has(state);

/** Retry (a task that ended without succeeding) or cancel (one still to finish). */
export function TaskActions(props: {
  batchId: string;
  taskId: string;
  state: TaskState;
  onDone: () => void;
}) {
  const path = `/v1/batches/${seg(props.batchId)}/tasks/${seg(props.taskId)}`;
  if (props.state === "succeeded") return null;
  return isFinalState(props.state) ? (
    <ActionButton label="Retry" run={() => postJson(`${path}/retry`)} onDone={props.onDone} />
  ) : (
    <ActionButton label="Cancel" kind="danger" run={() => postJson(`${path}/cancel`)} onDone={props.onDone} />
  );
}
