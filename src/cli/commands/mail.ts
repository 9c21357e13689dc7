import type { Command } from "commander";
import { parseDuration } from "../../core/duration.ts";
import { DroverError } from "../../core/errors.ts";
import { MailPriority, MailType } from "../../mailbox/mailbox.ts";
import type { MailRecord } from "../../store/store.ts";
import type { CliContext } from "../context.ts";
import { positive } from "./memory.ts";
import { addStateOptions, output, type StateFlags, withState } from "./state-helpers.ts";

export function registerMailCommands(program: Command, context: CliContext): void {
  const mail = program.command("mail").description("The mailbox between runners");
  addStateOptions(mail.command("send").description("send a message to a runner, or to all of them"))
    .requiredOption("--to <runner>", 'recipient runner, or "all"')
    .requiredOption("--type <type>", MailType.options.join(" | "))
    .requiredOption("--payload <text>", "the message")
    .option("--priority <p>", "high | normal | low", "normal")
    .option("--from <runner>", "sender: a runner's name (checked), or any name with --external-sender")
    .option("--external-sender", "the sender is not a runner (a person, a script, a coordinator)")
    .option("--ttl <duration>", "time to live (default 7 days)")
    .option("--allow-secrets", "accept a payload that looks like it holds a secret")
    .action(
      (
        flags: StateFlags & {
          to: string;
          type: string;
          payload: string;
          priority: string;
          from?: string;
          externalSender?: boolean;
          ttl?: string;
          allowSecrets?: boolean;
        },
      ) =>
        withState(flags, context, ({ mailbox }) => {
          const type = MailType.safeParse(flags.type);
          if (!type.success)
            throw new DroverError(
              "bad_input",
              `--type: "${flags.type}" is not one of ${MailType.options.join(", ")}`,
            );
          const priority = MailPriority.safeParse(flags.priority);
          if (!priority.success)
            throw new DroverError("bad_input", `--priority: "${flags.priority}" is not high, normal or low`);
          const ttlMs = flags.ttl ? parseDuration(flags.ttl) : undefined;
          if (flags.ttl && !ttlMs)
            throw new DroverError("bad_input", `--ttl: "${flags.ttl}" is not a duration`);
          const sent = mailbox.send({
            to: flags.to,
            type: type.data,
            payload: flags.payload,
            priority: priority.data,
            ...(flags.from ? { from: flags.from } : {}),
            ...(flags.externalSender ? { externalSender: true } : {}),
            ...(ttlMs ? { ttlMs } : {}),
            ...(flags.allowSecrets ? { allowSecrets: true } : {}),
          });
          output(context, flags, sent, sent.map((m) => `sent ${m.id} to ${m.to}`).join("\n"));
        }),
    );
  addStateOptions(mail.command("check").description("list messages (a runner's, or all), unread first"))
    .option("--to <runner>", "only this runner's mail")
    .option("--unread", "only unread messages")
    .action((flags: StateFlags & { to?: string; unread?: boolean }) =>
      withState(flags, context, ({ mailbox }) => {
        const messages = mailbox.check({
          ...(flags.to ? { to: flags.to } : {}),
          ...(flags.unread ? { unreadOnly: true } : {}),
        });
        output(context, flags, messages, messages.map(describeMail).join("\n") || "no messages");
      }),
    );
  addStateOptions(
    mail.command("read").description("show a message with its payload; marks it read").argument("<id>"),
  ).action((id: string, flags: StateFlags) =>
    withState(flags, context, ({ mailbox }) => {
      const message = mailbox.read(id);
      output(context, flags, message, `${describeMail(message)}\n\n${message.payload}`);
    }),
  );
  addStateOptions(mail.command("ack").description("acknowledge a message").argument("<id>")).action(
    (id: string, flags: StateFlags) =>
      withState(flags, context, ({ mailbox }) => {
        mailbox.ack(id);
        output(context, flags, { acked: id }, `acknowledged ${id}`);
      }),
  );
  addStateOptions(
    mail
      .command("archive")
      .description("archive a message, or a runner's read mail with --to")
      .argument("[id]"),
  )
    .option("--to <runner>", "archive this runner's read mail")
    .action((id: string | undefined, flags: StateFlags & { to?: string }) =>
      withState(flags, context, ({ mailbox }) => {
        const n = mailbox.archive({ ...(id ? { id } : {}), ...(flags.to ? { to: flags.to } : {}) });
        output(context, flags, { archived: n }, `archived ${n} message(s)`);
      }),
    );
  addStateOptions(mail.command("prune").description("mark expired mail; delete archived and expired mail"))
    .option("--older-than-days <n>", "delete archived and expired mail older than this", "7")
    .action((flags: StateFlags & { olderThanDays: string }) =>
      withState(flags, context, ({ mailbox }) => {
        const result = mailbox.prune(positive(flags.olderThanDays, "--older-than-days"));
        output(context, flags, result, `${result.expired} expired, ${result.deleted} deleted`);
      }),
    );
}

function describeMail(message: MailRecord): string {
  return `${message.id}  ${message.status.padEnd(10)} ${message.priority.padEnd(6)} ${message.type.padEnd(13)} ${message.from ?? "-"} → ${message.to}  ${message.payload.replace(/\s+/g, " ").slice(0, 60)}`;
}
