import { processContext, runCli } from "./run-cli.ts";

const code = await runCli(process.argv.slice(2), processContext());
// Servers and timers are closed by now; exit explicitly so a stray handle cannot keep us alive.
process.exit(code);
