import { render } from "preact";
import { csrfToken, getJson } from "./api.ts";
import type { DaemonStatus, InboxItem } from "./api-types.ts";
import { liveEvents } from "./event-stream.ts";
import { useLiveEvents, useResource, useStreamState } from "./hooks.ts";
import { href, type Route, useRoute } from "./route.ts";
import { BatchView } from "./views/batch-view.tsx";
import { BatchesView } from "./views/batches-view.tsx";
import { InboxView } from "./views/inbox-view.tsx";
import { SystemView } from "./views/system-view.tsx";
import { TaskView } from "./views/task-view.tsx";

function App() {
  const route = useRoute();
  return (
    <>
      <Header route={route} />
      <main class="page">
        <CurrentView route={route} />
      </main>
    </>
  );
}

function CurrentView({ route }: { route: Route }) {
  switch (route.view) {
    case "batches":
      return <BatchesView />;
    case "batch":
      return <BatchView batchId={route.batchId} />;
    case "task":
      return <TaskView batchId={route.batchId} taskId={route.taskId} />;
    case "inbox":
      return <InboxView />;
    case "system":
      return <SystemView />;
  }
}

function Header({ route }: { route: Route }) {
  const stream = useStreamState();
  const status = useResource(() => getJson<DaemonStatus>("/v1/status"), "header-status");
  const openItems = useResource(
    () =>
      getJson<{ items: InboxItem[] } | InboxItem[]>("/v1/inbox?state=open").then(
        (body) => (Array.isArray(body) ? body : body.items).length,
        () => undefined,
      ),
    "header-inbox",
  );
  useLiveEvents((event) => {
    if (event.type === "task.state" || event.type === "fleet.host") status.reload();
    if (event.type === "inbox.added" || event.type === "inbox.answered") openItems.reload();
  });
  const current = (view: Route["view"]) =>
    route.view === view || (view === "batches" && route.view !== "inbox" && route.view !== "system")
      ? "page"
      : undefined;
  const capacity = status.data?.capacity;
  return (
    <header class="top">
      <a class="brand" href={href({ view: "batches" })}>
        drover
      </a>
      <nav>
        <a href={href({ view: "batches" })} aria-current={current("batches")}>
          Batches
        </a>
        <a href={href({ view: "inbox" })} aria-current={current("inbox")}>
          Inbox
          {openItems.data ? (
            <span class="pill" data-open-items={openItems.data}>
              {openItems.data}
            </span>
          ) : null}
        </a>
        <a href={href({ view: "system" })} aria-current={current("system")}>
          Slots and hosts
        </a>
      </nav>
      <span class="header-status">
        {capacity ? (
          <span title={status.data?.why}>
            {capacity.used}/{capacity.slots} slots
          </span>
        ) : null}
        <span class={`stream stream-${stream}`} data-stream={stream}>
          {stream === "live" ? "live" : stream === "connecting" ? "connecting…" : "reconnecting…"}
        </span>
        <form method="post" action="/logout" class="logout">
          <input type="hidden" name="csrf" value={csrfToken} />
          <button type="submit" class="button button-plain">
            Log out
          </button>
        </form>
      </span>
    </header>
  );
}

liveEvents.start();
const root = document.getElementById("app");
if (root) {
  root.replaceChildren(); // the "Loading…" placeholder: Preact renders next to what is there
  render(<App />, root);
}
