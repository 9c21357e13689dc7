import { useEffect, useState } from "preact/hooks";

/** Which page the dashboard shows; kept in the URL's hash so links and reloads work. */
export type Route =
  | { view: "batches" }
  | { view: "batch"; batchId: string }
  | { view: "task"; batchId: string; taskId: string }
  | { view: "inbox" }
  | { view: "system" };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const [first, batchId, third, taskId] = parts;
  if (first === "batches" && batchId && third === "tasks" && taskId) return { view: "task", batchId, taskId };
  if (first === "batches" && batchId) return { view: "batch", batchId };
  if (first === "inbox") return { view: "inbox" };
  if (first === "system") return { view: "system" };
  return { view: "batches" };
}

export function href(route: Route): string {
  const e = encodeURIComponent;
  switch (route.view) {
    case "batches":
      return "#/";
    case "batch":
      return `#/batches/${e(route.batchId)}`;
    case "task":
      return `#/batches/${e(route.batchId)}/tasks/${e(route.taskId)}`;
    case "inbox":
      return "#/inbox";
    case "system":
      return "#/system";
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
