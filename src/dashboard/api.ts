// Requests from the page: the login cookie travels by itself; every change also carries the
// session's CSRF value, which the server put in a meta tag of this page.

function metaContent(name: string): string {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? "";
}

/** The CSRF value of this login (also used by the logout form). */
export const csrfToken = metaContent("drover-csrf");

/** The newest event when the page was served: the live stream starts after it. */
export const eventSeqAtLoad = Number(metaContent("drover-event-seq")) || 0;

/** A refused request, with the daemon's error code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: {
      accept: "application/json",
      ...(method !== "GET" ? { "x-drover-csrf": csrfToken, "content-type": "application/json" } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (response.status === 401) {
    // The login ended (logout elsewhere, a new token): the server shows the login page.
    window.location.reload();
    throw new ApiError(401, "unauthorized", "logged out");
  }
  const data = (await response.json().catch(() => undefined)) as
    | (T & { error?: { code?: string; message?: string } })
    | undefined;
  if (!response.ok) {
    const error = data?.error;
    throw new ApiError(
      response.status,
      error?.code ?? "http_error",
      error?.message ?? `${method} ${path}: HTTP ${response.status}`,
    );
  }
  return data as T;
}

export const getJson = <T>(path: string): Promise<T> => request<T>("GET", path);
export const postJson = <T>(path: string, body: unknown = {}): Promise<T> => request<T>("POST", path, body);

/** A path segment, escaped. */
export const seg = (value: string): string => encodeURIComponent(value);
