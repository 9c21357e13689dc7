import type { Command } from "commander";
import { badInput } from "../../core/errors.ts";
import { startScriptedModel } from "../../mock-model/server.ts";
import type { CliContext } from "../context.ts";

export function registerMockModelCommand(program: Command, context: CliContext): void {
  program
    .command("mock-model")
    .description("Serve drover's scripted model (OpenAI-compatible) for offline tests of your own pipelines")
    .option("--port <n>", "port to listen on (default: a free one)", "0")
    .option("--host <addr>", "address to bind", "127.0.0.1")
    .option("--log <file>", "append one JSON line per request to this file")
    .option("--json", "print the listening address and each request as JSON lines")
    .action(async (flags: { port: string; host: string; log?: string; json?: boolean }) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw badInput("bad_input", [
          { source: "--port", path: "", message: `"${flags.port}" is not a port number` },
        ]);
      }
      const server = await startScriptedModel({
        port,
        host: flags.host,
        ...(flags.log ? { logFile: flags.log } : {}),
        onRequest: (record) => {
          if (flags.json) context.stdout.write(`${JSON.stringify({ type: "request", ...record })}\n`);
          else
            context.stdout.write(
              `${new Date(record.ts).toISOString()} ${record.sessionId ?? "-"} ${record.label}\n`,
            );
        },
      });
      if (flags.json) {
        context.stdout.write(
          `${JSON.stringify({ type: "listening", url: server.url, baseURL: server.baseURL, port: server.port })}\n`,
        );
      } else {
        context.stdout.write(
          `drover scripted model listening on ${server.url}\n` +
            `OpenAI-compatible base URL: ${server.baseURL} (model id: scripted)\n` +
            "Directives: see docs/scripted-model.md. Ctrl-C stops.\n",
        );
      }
      await new Promise<void>((resolve) => {
        const remove = context.onSignals(() => {
          remove();
          resolve();
        });
      });
      await server.close();
    });
}
