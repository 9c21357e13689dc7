/** One server-sent event as it came over the wire. */
export interface SseFrame {
  id?: string;
  event?: string;
  data: string;
}

/** Reads an SSE body frame by frame (frames end with a blank line), calling `onFrame` for each. */
export async function readSseFrames(
  body: ReadableStream<Uint8Array>,
  onFrame: (frame: SseFrame) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const frame = parseFrame(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (frame) onFrame(frame);
      end = buffer.indexOf("\n\n");
    }
  }
}

function parseFrame(text: string): SseFrame | undefined {
  const data: string[] = [];
  let id: string | undefined;
  let event: string | undefined;
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "data") data.push(value);
    else if (field === "id") id = value;
    else if (field === "event") event = value;
  }
  if (data.length === 0) return undefined;
  return {
    data: data.join("\n"),
    ...(id !== undefined ? { id } : {}),
    ...(event !== undefined ? { event } : {}),
  };
}
