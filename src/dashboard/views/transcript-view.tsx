import type { TaskTranscripts, TranscriptMessage } from "../api-types.ts";
import { formatTime } from "../format.ts";

/** Each finished attempt's conversation: messages, and tool calls folded open on demand. */
export function TranscriptView({ attempts }: { attempts: TaskTranscripts["attempts"] }) {
  if (attempts.length === 0)
    return <p class="notice">No transcript yet: an attempt's conversation is kept when it ends.</p>;
  return (
    <div class="transcripts">
      {attempts.map((attempt) => (
        <article key={attempt.attemptId} class="transcript" data-attempt={attempt.number}>
          <h3>Attempt {attempt.number}</h3>
          {attempt.transcript.omittedMessages > 0 ? (
            <p class="notice">{attempt.transcript.omittedMessages} earlier messages left out.</p>
          ) : null}
          {attempt.transcript.messages.map((message, index) => (
            <Message key={`${attempt.attemptId}-${index}`} message={message} />
          ))}
          {attempt.transcript.truncated ? <p class="notice">Cut to the stored size.</p> : null}
        </article>
      ))}
    </div>
  );
}

function Message({ message }: { message: TranscriptMessage }) {
  return (
    <div class={`message message-${message.role}`}>
      <div class="message-head">
        <strong>{message.role}</strong> <time>{formatTime(message.at)}</time>
      </div>
      {message.text ? <pre class="message-text">{message.text}</pre> : null}
      {message.tools.map((tool, index) => (
        <details key={index} class={`tool tool-${tool.status}`}>
          <summary>
            {tool.tool} <span class="muted">({tool.status})</span>{" "}
            <code class="tool-input">{tool.input.slice(0, 120)}</code>
          </summary>
          <pre>{tool.input}</pre>
          {tool.output ? <pre class="tool-output">{tool.output}</pre> : null}
        </details>
      ))}
      {message.error ? <p class="notice notice-error">{message.error}</p> : null}
    </div>
  );
}
