import type { Command } from "commander";
import { DroverError } from "../../core/errors.ts";
import type { CliContext } from "../context.ts";
import { addStateOptions, output, type StateFlags, withState } from "./state-helpers.ts";

export function registerMemoryCommands(program: Command, context: CliContext): void {
  const memory = program.command("memory").description("Namespaced memory with full-text recall");
  addStateOptions(
    memory.command("store").description("remember something in a namespace (secrets are refused)"),
  )
    .requiredOption("--namespace <name>", "namespace (a runner's name, or shared)")
    .requiredOption("--content <text>", "what to remember")
    .option("--tags <list>", "comma-separated tags")
    .option("--type <type>", "kind of memory (note, learning, working_solution, …)", "note")
    .option("--allow-secrets", "accept content or tags that look like they hold a secret")
    .action(
      (
        flags: StateFlags & {
          namespace: string;
          content: string;
          tags?: string;
          type: string;
          allowSecrets?: boolean;
        },
      ) =>
        withState(flags, context, ({ memory: service }) => {
          const result = service.store({
            namespace: flags.namespace,
            content: flags.content,
            type: flags.type,
            tags: flags.tags?.split(",") ?? [],
            ...(flags.allowSecrets ? { allowSecrets: true } : {}),
          });
          output(
            context,
            flags,
            result,
            result.duplicate ? `already remembered as ${result.id}` : `stored memory ${result.id}`,
          );
        }),
    );
  addStateOptions(
    memory.command("recall").description("find what a namespace remembers about a query (full text, ranked)"),
  )
    .requiredOption("--namespace <name>", "namespace")
    .requiredOption("-q, --query <text>", "what to look for")
    .option("--limit <n>", "most results", "5")
    .option("--shared", "also search the shared namespace")
    .action((flags: StateFlags & { namespace: string; query: string; limit: string; shared?: boolean }) =>
      withState(flags, context, ({ memory: service }) => {
        const found = service.recall({
          namespace: flags.namespace,
          query: flags.query,
          limit: positive(flags.limit, "--limit"),
          ...(flags.shared ? { shared: true } : {}),
        });
        output(
          context,
          flags,
          found,
          found.length
            ? found
                .map((m) => `${m.id}  [${m.namespace}${m.tags ? ` · ${m.tags}` : ""}]  ${m.content}`)
                .join("\n")
            : "nothing relevant remembered",
        );
      }),
    );
  addStateOptions(memory.command("list").description("list memories, newest first"))
    .option("--namespace <name>", "only this namespace")
    .option("--limit <n>", "most entries", "50")
    .action((flags: StateFlags & { namespace?: string; limit: string }) =>
      withState(flags, context, ({ memory: service }) => {
        const entries = service.list(flags.namespace, positive(flags.limit, "--limit"));
        output(
          context,
          flags,
          entries,
          entries
            .map(
              (m) =>
                `${m.id}  [${m.namespace}] (useful ${m.usefulness}, recalled ${m.recallCount}×)  ${m.content}`,
            )
            .join("\n") || "no memories",
        );
      }),
    );
  addStateOptions(memory.command("forget").description("delete one memory").argument("<id>")).action(
    (id: string, flags: StateFlags) =>
      withState(flags, context, ({ memory: service }) => {
        service.forget(positive(id, "id"));
        output(context, flags, { forgotten: Number(id) }, `forgot memory ${id}`);
      }),
  );
  addStateOptions(
    memory
      .command("feedback")
      .description("mark a memory useful or useless (ranks it up or down)")
      .argument("<id>"),
  )
    .option("--useful", "it helped: rank it higher")
    .option("--useless", "it did not: rank it lower")
    .action((id: string, flags: StateFlags & { useful?: boolean; useless?: boolean }) =>
      withState(flags, context, ({ memory: service }) => {
        if (flags.useful === flags.useless)
          throw new DroverError("bad_input", "give exactly one of --useful or --useless");
        service.feedback(positive(id, "id"), flags.useful === true);
        output(context, flags, { id: Number(id), useful: flags.useful === true }, `noted`);
      }),
    );
  addStateOptions(
    memory
      .command("prune")
      .description("drop the least useful memories beyond the caps, or those not recalled for N days"),
  )
    .option("--namespace <name>", "only this namespace")
    .option("--older-than-days <n>", "drop entries not recalled for this many days")
    .action((flags: StateFlags & { namespace?: string; olderThanDays?: string }) =>
      withState(flags, context, ({ memory: service }) => {
        const removed = service.prune({
          ...(flags.namespace ? { namespace: flags.namespace } : {}),
          ...(flags.olderThanDays
            ? { olderThanDays: positive(flags.olderThanDays, "--older-than-days") }
            : {}),
        });
        output(context, flags, { removed }, `pruned ${removed} memory(ies)`);
      }),
    );
  addStateOptions(memory.command("namespaces").description("list namespaces with their sizes")).action(
    (flags: StateFlags) =>
      withState(flags, context, ({ memory: service }) => {
        const all = service.namespaces();
        output(
          context,
          flags,
          all,
          all.map((n) => `${n.namespace}  ${n.count} entries, ${n.bytes} bytes`).join("\n") || "no memories",
        );
      }),
  );
}

export function positive(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new DroverError("bad_input", `${name}: "${value}" is not a positive whole number`);
  return n;
}
