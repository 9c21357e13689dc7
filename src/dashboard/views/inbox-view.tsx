import { useState } from "preact/hooks";
import { ApiError, getJson, postJson, seg } from "../api.ts";
import type { InboxAction, InboxItem } from "../api-types.ts";
import { ActionButton, Loaded } from "../components.tsx";
import { formatTime } from "../format.ts";
import { useLiveEvents, useResource } from "../hooks.ts";
import { href } from "../route.ts";

/** What a person can do with each kind of item (the server refuses what does not apply). */
const actionsByKind: Record<InboxItem["kind"], InboxAction[]> = {
  permission: ["approve", "deny"],
  blocked: ["retry", "cancel", "dismiss"],
  failed: ["retry", "dismiss"],
  handoff: ["dismiss"],
  watchdog: ["retry", "cancel", "dismiss"],
  thrashing: ["cancel", "dismiss"],
};

const actionLabels: Record<InboxAction, string> = {
  approve: "Approve",
  deny: "Deny",
  dismiss: "Dismiss",
  retry: "Retry",
  cancel: "Cancel task",
};

/** Reads `GET /v1/inbox`: `{items}` (or a bare list); `undefined` when this daemon has no inbox. */
async function loadInbox(state: "open" | "all"): Promise<InboxItem[] | undefined> {
  try {
    const body = await getJson<{ items: InboxItem[] } | InboxItem[]>(`/v1/inbox?state=${state}`);
    return Array.isArray(body) ? body : body.items;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && error.code !== "not_found") return undefined;
    throw error;
  }
}

/** What needs a person, newest first, with the buttons that answer it. */
export function InboxView() {
  const [state, setState] = useState<"open" | "all">("open");
  const inbox = useResource(() => loadInbox(state).then((items) => ({ items })), state);
  useLiveEvents((event) => {
    if (event.type === "inbox.added" || event.type === "inbox.answered") inbox.reload();
  });
  return (
    <section>
      <h1>Inbox</h1>
      <div class="toolbar">
        <button type="button" class="button" aria-pressed={state === "open"} onClick={() => setState("open")}>
          Open
        </button>
        <button type="button" class="button" aria-pressed={state === "all"} onClick={() => setState("all")}>
          All
        </button>
      </div>
      <Loaded data={inbox.data} error={inbox.error}>
        {({ items }) =>
          items === undefined ? (
            <p class="notice">This daemon has no inbox (it runs an older drover).</p>
          ) : items.length === 0 ? (
            <p class="notice" data-inbox-empty>
              Nothing needs you right now.
            </p>
          ) : (
            <ul class="inbox">
              {sortNewestFirst(items).map((item) => (
                <InboxCard key={item.id} item={item} onDone={inbox.reload} />
              ))}
            </ul>
          )
        }
      </Loaded>
    </section>
  );
}

function InboxCard({ item, onDone }: { item: InboxItem; onDone: () => void }) {
  return (
    <li class={`inbox-item inbox-${item.kind}`} data-inbox-id={item.id} data-inbox-state={item.state}>
      <div class="inbox-head">
        <span class={`badge kind-${item.kind}`}>{item.kind}</span>
        <strong class="wrap">{item.title}</strong>
        <time>{formatTime(item.createdAt)}</time>
      </div>
      {item.detail ? <pre class="inbox-detail">{item.detail}</pre> : null}
      <div class="inbox-foot">
        {item.batchId && item.taskId ? (
          <a href={href({ view: "task", batchId: item.batchId, taskId: item.taskId })}>
            <code>
              {item.batchId}/{item.taskId}
            </code>
          </a>
        ) : item.batchId ? (
          <a href={href({ view: "batch", batchId: item.batchId })}>
            <code>{item.batchId}</code>
          </a>
        ) : null}
        {item.state === "open" ? (
          <span class="actions">
            {(actionsByKind[item.kind] ?? ["dismiss"]).map((action) => (
              <ActionButton
                key={action}
                name={action}
                label={actionLabels[action]}
                kind={
                  action === "approve"
                    ? "primary"
                    : action === "deny" || action === "cancel"
                      ? "danger"
                      : "plain"
                }
                run={() => postJson(`/v1/inbox/${seg(item.id)}/${action}`, { by: "dashboard" })}
                onDone={onDone}
              />
            ))}
          </span>
        ) : (
          <span class="answered">
            <span class="badge">{item.state}</span>
            {item.answeredBy ? ` by ${item.answeredBy}` : ""}
            {item.answeredAt ? ` at ${formatTime(item.answeredAt)}` : ""}
          </span>
        )}
      </div>
    </li>
  );
}

function sortNewestFirst(items: readonly InboxItem[]): InboxItem[] {
  const time = (item: InboxItem) => new Date(item.createdAt).getTime();
  return [...items].sort((a, b) => time(b) - time(a));
}
