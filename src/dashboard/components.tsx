import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { LivenessView, TaskState } from "./api-types.ts";
import { formatDuration, livenessEvidence, livenessLabel } from "./format.ts";

/** A task's state as a coloured label (`data-state` lets tests and CSS find it). */
export function StateBadge({ state }: { state: TaskState | string }) {
  return (
    <span class={`badge state-${state}`} data-state={state}>
      {state.replace("_", " ")}
    </span>
  );
}

/** A running task's liveness: what it does, for how long, and the evidence why. */
export function LivenessText({ liveness, now }: { liveness: LivenessView | undefined; now: number }) {
  if (!liveness) return null;
  const why = livenessEvidence(liveness, now);
  return (
    <span class={`liveness liveness-${liveness.state}`} data-liveness={liveness.state}>
      <strong>{livenessLabel(liveness)}</strong>
      {liveness.since !== undefined ? ` for ${formatDuration(Math.max(0, now - liveness.since))}` : ""}
      {why.length > 0 ? <span class="evidence"> · {why.join(" · ")}</span> : null}
    </span>
  );
}

/** A button that calls the API, shows it is busy, and says what went wrong next to itself. */
export function ActionButton(props: {
  label: string;
  run: () => Promise<unknown>;
  onDone?: () => void;
  kind?: "primary" | "danger" | "plain";
  name?: string;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const click = () => {
    setBusy(true);
    setError(undefined);
    props.run().then(
      () => {
        setBusy(false);
        props.onDone?.();
      },
      (failure: unknown) => {
        setBusy(false);
        setError(failure instanceof Error ? failure.message : String(failure));
      },
    );
  };
  return (
    <span class="action">
      <button
        type="button"
        class={`button button-${props.kind ?? "plain"}`}
        data-action={props.name ?? props.label.toLowerCase()}
        disabled={busy}
        onClick={click}
      >
        {busy ? `${props.label}…` : props.label}
      </button>
      {error ? (
        <span class="action-error" role="alert">
          {error}
        </span>
      ) : null}
    </span>
  );
}

/** Loading, failed, or the content. */
export function Loaded<T>(props: {
  data: T | undefined;
  error: Error | undefined;
  children: (data: T) => ComponentChildren;
}) {
  if (props.error)
    return (
      <p class="notice notice-error" role="alert">
        {props.error.message}
      </p>
    );
  if (props.data === undefined) return <p class="notice">Loading…</p>;
  return <>{props.children(props.data)}</>;
}

/** A table that scrolls sideways on a narrow screen instead of squeezing its columns. */
export function TableFrame({ children }: { children: ComponentChildren }) {
  return <div class="table-frame">{children}</div>;
}
