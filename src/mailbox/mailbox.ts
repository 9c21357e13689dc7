import { z } from "zod";
import type { Clock } from "../core/clock.ts";
import { DroverError } from "../core/errors.ts";
import { newId } from "../core/ids.ts";
import { refuseSecrets } from "../security/secret-issue.ts";
import type { MailRecord, MailTable } from "../store/mail.ts";

export const MailType = z.enum(["task_dispatch", "status_report", "discovery", "request", "broadcast"]);
export type MailType = z.infer<typeof MailType>;
export const MailPriority = z.enum(["high", "normal", "low"]);
export type MailPriority = z.infer<typeof MailPriority>;

/** Default time to live of a message: a week. */
export const defaultMailTtlMs = 7 * 86_400_000;

export const SendMail = z.object({
  to: z.string().min(1).describe('A runner name, or "all" for a broadcast.'),
  from: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe("The sender: a runner's name, or any name with externalSender."),
  externalSender: z
    .boolean()
    .default(false)
    .describe("The sender is not a runner (a person, a script, a coordinator): `from` is not checked."),
  type: MailType,
  payload: z
    .string()
    .min(1)
    .max(64 * 1024),
  priority: MailPriority.default("normal"),
  ttlMs: z.number().int().positive().default(defaultMailTtlMs),
  allowSecrets: z
    .boolean()
    .default(false)
    .describe("Accept a payload that looks like it contains a secret (refused by default)."),
});
export type SendMail = z.input<typeof SendMail>;

/**
 * The mailbox between runners. Messages carry their payload; a runner's unread mail goes into
 * its next run and counts as delivered only when that run succeeds. Broadcasts reach every runner.
 */
export class Mailbox {
  readonly #table: MailTable;
  readonly #clock: Clock;
  readonly #runnerExists: (name: string) => boolean;
  readonly #allRunners: () => string[];

  constructor(deps: {
    table: MailTable;
    clock: Clock;
    runnerExists: (name: string) => boolean;
    allRunners: () => string[];
  }) {
    this.#table = deps.table;
    this.#clock = deps.clock;
    this.#runnerExists = deps.runnerExists;
    this.#allRunners = deps.allRunners;
  }

  send(input: SendMail): MailRecord[] {
    const parsed = SendMail.safeParse(input);
    if (!parsed.success)
      throw new DroverError(
        "bad_input",
        `bad message: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      );
    const mail = parsed.data;
    if (!mail.allowSecrets)
      refuseSecrets([
        {
          source: `mail to "${mail.to}"`,
          path: "payload",
          what: "the message",
          text: mail.payload,
          override: 'pass --allow-secrets ("allowSecrets": true in the API)',
        },
      ]);
    this.#checkSender(mail.from, mail.externalSender);
    const broadcast = mail.type === "broadcast" || mail.to === "all";
    const recipients = broadcast ? this.#allRunners().filter((name) => name !== mail.from) : [mail.to];
    if (!broadcast && !this.#runnerExists(mail.to))
      throw new DroverError("not_found", `no runner "${mail.to}" (see drover runner list)`);
    if (recipients.length === 0) throw new DroverError("not_found", "no runner to broadcast to");
    const now = this.#clock.now();
    const rows = recipients.map((to) => ({
      id: newId("msg"),
      to,
      ...(mail.from ? { from: mail.from } : {}),
      type: broadcast ? "broadcast" : mail.type,
      priority: mail.priority,
      payload: mail.payload,
      createdAt: now,
      expiresAt: now + mail.ttlMs,
    }));
    this.#table.insert(rows);
    return rows.map((row) => ({ ...row, status: "unread" }));
  }

  /**
   * A sender named as a runner must be one, so a misspelt name is caught rather than stored; anyone
   * else (a person, a script) says so with `externalSender`.
   */
  #checkSender(from: string | undefined, external: boolean): void {
    if (!from || external || this.#runnerExists(from)) return;
    const runners = this.#allRunners();
    throw new DroverError(
      "bad_input",
      `--from: no runner "${from}" (runners: ${runners.join(", ") || "none"}); a sender who is not a runner needs --external-sender ("externalSender": true in the API)`,
    );
  }

  /** Messages of a runner (or all), unread first by priority; expired ones only when asked. */
  check(filter: { to?: string; unreadOnly?: boolean; includeExpired?: boolean } = {}): MailRecord[] {
    return this.#table.list({
      ...(filter.to ? { to: filter.to } : {}),
      ...(filter.unreadOnly
        ? { statuses: ["unread"] }
        : { statuses: ["unread", "delivering", "read", "acked"] }),
      now: this.#clock.now(),
      ...(filter.includeExpired ? { includeExpired: true } : {}),
    });
  }

  read(id: string): MailRecord {
    const mail = this.#table.get(id);
    if (!mail) throw new DroverError("not_found", `no message ${id}`);
    if (mail.status === "unread") this.#table.setStatus(id, "read", this.#clock.now());
    return { ...mail, status: mail.status === "unread" ? "read" : mail.status };
  }

  ack(id: string): void {
    if (!this.#table.get(id)) throw new DroverError("not_found", `no message ${id}`);
    this.#table.setStatus(id, "acked", this.#clock.now());
  }

  archive(target: { id?: string; to?: string }): number {
    if (target.id) {
      if (!this.#table.setStatus(target.id, "archived", this.#clock.now()))
        throw new DroverError("not_found", `no message ${target.id}`);
      return 1;
    }
    return this.#table.archiveRead(target.to, this.#clock.now());
  }

  prune(olderThanDays = 7): { expired: number; deleted: number } {
    const now = this.#clock.now();
    return this.#table.prune(now, now - olderThanDays * 86_400_000);
  }

  /** Takes a runner's unread mail for one run. */
  claimForRun(runner: string, runId: string): MailRecord[] {
    return this.#table.claimForRun(runner, runId, this.#clock.now());
  }

  settleRun(runId: string, succeeded: boolean): number {
    return this.#table.settleRun(runId, succeeded, this.#clock.now());
  }
}

/** The mail block a runner's run receives, payloads included. */
export function renderMail(mail: readonly MailRecord[]): string | undefined {
  if (mail.length === 0) return undefined;
  const lines = [`You have ${mail.length} unread message(s) (most important first):`];
  for (const message of mail) {
    lines.push(
      `--- ${message.id} · ${message.type} · ${message.priority} priority · from ${message.from ?? "someone"}`,
    );
    lines.push(message.payload);
  }
  lines.push("--- end of messages");
  return lines.join("\n");
}
