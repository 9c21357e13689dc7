import { processContext, runCli } from "./run-cli.ts";

const code = await runCli(process.argv.slice(2), processContext());
// Everything written must reach a pipe before the process ends: process.exit does not wait for a
// pipe to drain (output past 64 KB would be lost in `drover … --json | jq`).
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
// Servers and timers are closed by now; exit explicitly so a stray handle cannot keep us alive.
process.exit(code);

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) return resolve();
    stream.write("", () => resolve());
  });
}
