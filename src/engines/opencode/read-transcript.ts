import type { OpencodeClient } from "@opencode-ai/sdk/v2";
import type { TranscriptEntry } from "./transcript.ts";

/**
 * Reads the assistant messages of a session's latest turn, newest first then reversed, walking
 * back one message at a time until the user's prompt. One page at a time because OpenCode
 * 1.18.33 cannot list a page that holds a user message sent with `format: json_schema` (the
 * list answers 400), while single assistant messages list fine.
 */
export async function readLatestTurn(
  client: OpencodeClient,
  sessionId: string,
  sinceMs: number,
): Promise<TranscriptEntry[]> {
  const out: TranscriptEntry[] = [];
  let before: string | undefined;
  for (let i = 0; i < 500; i++) {
    const page = await client.session.messages({
      sessionID: sessionId,
      limit: 1,
      ...(before ? { before } : {}),
    });
    const entry = page.data?.[0] as TranscriptEntry | undefined;
    if (!entry || entry.info.role === "user" || entry.info.time.created < sinceMs) break;
    out.push(entry);
    before = entry.info.id;
  }
  return out.reverse();
}
