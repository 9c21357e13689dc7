import { z } from "zod";

/** Tokens a response reported in its `usage` (provider shapes mapped to one). */
export const TokenUsage = z.object({
  input: z.number(),
  output: z.number(),
  cacheRead: z.number().optional(),
  cacheWrite: z.number().optional(),
});
export type TokenUsage = z.infer<typeof TokenUsage>;

/**
 * One request through the model gateway, recorded when it ends (one JSON line in
 * `<stateDir>/model-gateway.jsonl`). Never holds a key or a credential.
 */
export const GatewayUsage = z.object({
  /** `req_…`, time-sortable. */
  id: z.string(),
  /** When the request came in (ms since the epoch). */
  ts: z.number(),
  /** The OpenCode server whose credential it carried (its home's name), `unknown` when none matched. */
  server: z.string(),
  provider: z.string(),
  method: z.string(),
  /** The path below the provider's base URL, without the query. */
  path: z.string(),
  /** The model named in the request body (or the Google path), when it could be read. */
  model: z.string().optional(),
  /** OpenCode's `x-session-id`: which session (and so which attempt) spent it. */
  sessionId: z.string().optional(),
  /** The status the client got: the provider's, or the gateway's own (401, 404, 502, a refusal). */
  status: z.number(),
  requestBytes: z.number(),
  responseBytes: z.number(),
  durationMs: z.number(),
  tokens: TokenUsage.optional(),
  /** The provider's `retry-after` on a 429 or 503: rate limits seen first hand. */
  retryAfter: z.string().optional(),
  /** Why the gateway refused to forward it (the beforeForward hook's reason). */
  refused: z.string().optional(),
  /** What went wrong on the way: upstream unreachable, client gone mid-stream. */
  error: z.string().optional(),
});
export type GatewayUsage = z.infer<typeof GatewayUsage>;

/** What the beforeForward hook sees of a request, before anything is sent upstream. */
export interface GatewayRequest {
  id: string;
  server: string;
  provider: string;
  method: string;
  path: string;
  model?: string;
  sessionId?: string;
}

/** A request the hook stops: answered by the gateway (default 429) with this reason as the error message. */
export interface GatewayRefusal {
  reason: string;
  /** Default 429. */
  status?: number;
  /** Sent as `retry-after`, so OpenCode (and drover's rate-limit parking) waits that long. */
  retryAfterSeconds?: number;
}

/**
 * Called before each authenticated request is forwarded; returning a refusal stops it there. The
 * spend governor caps spending here. A hook that throws refuses the request (500) with its message:
 * a broken governor must not let spending through.
 */
export type BeforeForward = (
  request: GatewayRequest,
) => GatewayRefusal | undefined | Promise<GatewayRefusal | undefined>;
