import { type LevelWithSilent, type LogFn, type Logger, multistream, pino } from "pino";
import { censorLogPath, logRedactPaths, redactLogFields, redactLogText } from "./log-redaction.ts";

export type { Logger };
export type LogLevel = LevelWithSilent;

export interface LoggerOptions {
  /** Which program logs (`drover-daemon`, `drover-worker`): the `name` field of every line. */
  name: string;
  /** Lowest level written (config `logLevel`, env `DROVER_LOG_LEVEL`). */
  level: LogLevel;
  /** Where trace…warn lines go. */
  out: NodeJS.WritableStream;
  /** Where error and fatal lines go (what made a daemon or worker stop belongs on stderr). */
  err: NodeJS.WritableStream;
  /** Time source, for tests. */
  now?: () => number;
}

/**
 * The one logger factory of the daemon and the worker: pino JSON lines with `level` (a label),
 * `time` (ISO 8601), `name`, `pid`, `hostname`, `msg` and fields. Secrets never reach a line:
 * secret-named fields are masked by pino's `redact` paths (and at any depth), and every string,
 * the message included, goes through the secret scanner.
 */
export function createLogger(options: LoggerOptions): Logger {
  const now = options.now ?? Date.now;
  const destination = multistream(
    [
      { level: "trace", stream: options.out },
      { level: "error", stream: options.err },
    ],
    // Each line goes to one stream only: the one with the highest level it reaches.
    { dedupe: true },
  );
  return pino(
    {
      name: options.name,
      level: options.level,
      timestamp: () => `,"time":"${new Date(now()).toISOString()}"`,
      redact: { paths: [...logRedactPaths], censor: censorLogPath },
      // `formatters.log` already turned errors into masked `{type, message, stack}`.
      serializers: { err: (value: unknown) => value },
      formatters: {
        level: (label) => ({ level: label }),
        log: (fields) => redactLogFields(fields) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((arg: unknown) => (typeof arg === "string" ? redactLogText(arg) : arg));
          method.apply(this, masked as Parameters<LogFn>);
        },
      },
    },
    destination,
  );
}
