import { Command, CommanderError } from "commander";
import { DroverError, errorMessage } from "../core/errors.ts";
import { EventBus } from "../core/events.ts";
import { droverVersion } from "../core/version.ts";
import { registerEnvSecrets } from "../security/known-secrets.ts";
import { redactSecretsIn } from "../security/redact-value.ts";
import { redactSecrets } from "../security/secret-scan.ts";
import { registerApiCommands } from "./commands/api-commands.ts";
import { registerCompletionCommand } from "./commands/completion.ts";
import { registerDaemonCommand } from "./commands/daemon.ts";
import { registerDecomposeCommand } from "./commands/decompose.ts";
import { registerInboxCommand } from "./commands/inbox.ts";
import { registerInitCommand } from "./commands/init.ts";
import { registerLogsCommand } from "./commands/logs.ts";
import { registerMailCommands } from "./commands/mail.ts";
import { registerMemoryCommands } from "./commands/memory.ts";
import { registerMockModelCommand } from "./commands/mock-model.ts";
import { registerNetworkCommands } from "./commands/network.ts";
import { registerPlanCommand } from "./commands/plan.ts";
import { registerRouteCommands } from "./commands/route.ts";
import { registerRunCommand } from "./commands/run.ts";
import { registerRunnerCommands } from "./commands/runner.ts";
import { registerScheduleCommands } from "./commands/schedule.ts";
import { registerSpendCommand } from "./commands/spend.ts";
import { registerStatusCommand } from "./commands/status.ts";
import { registerTaskViewCommands } from "./commands/task-views.ts";
import { registerWaitCommand } from "./commands/wait.ts";
import { registerWorkerCommand } from "./commands/worker.ts";
import { registerWorkspaceCommands } from "./commands/workspace.ts";
import type { CliContext } from "./context.ts";
import { exitCodeFor, exitCodes } from "./exit-codes.ts";

/** Runs the drover CLI with the given arguments; resolves with the exit code. */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  let exitCode: number = exitCodes.ok;
  const program = new Command()
    .name("drover")
    .description("Run many AI coding agents in parallel, headlessly, supervised and safe — on OpenCode.")
    .version(droverVersion)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => context.stdout.write(text),
      writeErr: (text) => context.stderr.write(text),
    });
  const scoped: CliContext = { ...context, setExitCode: (code) => (exitCode = code) };
  registerRunCommand(program, scoped);
  registerPlanCommand(program, scoped);
  registerDecomposeCommand(program, scoped);
  registerDaemonCommand(program, scoped);
  registerWorkerCommand(program, scoped);
  registerApiCommands(program, scoped);
  registerStatusCommand(program, scoped);
  registerTaskViewCommands(program, scoped);
  registerLogsCommand(program, scoped);
  registerWaitCommand(program, scoped);
  registerRunnerCommands(program, scoped);
  registerMemoryCommands(program, scoped);
  registerMailCommands(program, scoped);
  registerInboxCommand(program, scoped);
  registerScheduleCommands(program, scoped);
  registerSpendCommand(program, scoped);
  registerRouteCommands(program, scoped);
  registerWorkspaceCommands(program, scoped);
  registerNetworkCommands(program, scoped);
  registerMockModelCommand(program, scoped);
  registerInitCommand(program, scoped);
  registerCompletionCommand(program, scoped);
  // From the first line on, intake and redaction know the keys and tokens in drover's environment.
  const forgetSecrets = registerEnvSecrets(context.env);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.badInput;
    }
    const json = argv.includes("--json");
    if (json) {
      const body =
        error instanceof DroverError
          ? { code: error.code, message: error.message, issues: error.issues }
          : { code: "internal", message: errorMessage(error) };
      context.stdout.write(`${JSON.stringify({ type: "error", ...redactSecretsIn(body) })}\n`);
    }
    context.stderr.write(`drover: ${redactSecrets(errorMessage(error))}\n`);
    return exitCodeFor(error);
  } finally {
    forgetSecrets();
  }
}

export function processContext(): CliContext {
  return {
    cwd: process.cwd(),
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    bus: new EventBus(),
    setExitCode: () => undefined,
    onSignals(handler) {
      const listener = (signal: NodeJS.Signals) => handler(signal);
      process.on("SIGINT", listener);
      process.on("SIGTERM", listener);
      return () => {
        process.off("SIGINT", listener);
        process.off("SIGTERM", listener);
      };
    },
    forceExit: (code) => process.exit(code),
  };
}
