import { Argument, type Command } from "commander";
import type { CliContext } from "../context.ts";
import { bashScript, describeCommands, zshScript } from "./completion-script.ts";

const installHelp = `
Install (once; new shells pick it up):
  bash:  drover completion bash > ~/.local/share/bash-completion/completions/drover
         (or add to ~/.bashrc:  source <(drover completion bash))
  zsh:   drover completion zsh > "\${fpath[1]}/_drover"
         (or add to ~/.zshrc after compinit:  source <(drover completion zsh))

The script is generated from drover's own commands and options, so re-run it after upgrading drover.
It completes the \`drover\` command on your PATH (a global install, or node_modules/.bin on PATH).`;

/** `drover completion bash|zsh`: prints a shell completion script generated from `program`. */
export function registerCompletionCommand(program: Command, context: CliContext): void {
  program
    .command("completion")
    .description("Print a shell completion script for bash or zsh (see --help to install it)")
    .addArgument(new Argument("<shell>", "bash or zsh").choices(["bash", "zsh"]))
    .option("--json", "print JSON: {shell, script}")
    .addHelpText("after", installHelp)
    .action((shell: "bash" | "zsh", flags: { json?: boolean }) => {
      const shapes = describeCommands(program);
      const script = shell === "bash" ? bashScript(shapes) : zshScript(shapes);
      context.stdout.write(flags.json ? `${JSON.stringify({ shell, script })}\n` : script);
    });
}
