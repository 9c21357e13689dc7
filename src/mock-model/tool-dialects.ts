// Directives name OpenCode's tools (`bash`, `write`, `read`, `edit`). Claude Code offers `Bash`,
// `Write`, `Read`, `Edit` (with snake_case arguments and absolute paths); Codex offers one shell
// tool (`exec_command` with `cmd`, or `shell` with an argv). These functions show the scripted
// model's decision logic OpenCode's names, and reshape the tool call it decides on for the client.

/** What a client calls the directive tools, and how their arguments are shaped. */
export interface ToolDialect {
  /** The offered tool names as OpenCode would call them (decide-reply reads these). */
  names: string[];
  /** The tool call for the client: its own tool name and arguments. */
  toClient(name: string, args: Record<string, unknown>): { name: string; args: Record<string, unknown> };
}

const claudeNames: Record<string, string> = { Bash: "bash", Write: "write", Read: "read", Edit: "edit" };

/**
 * The dialect of the tools a request offers. `cwd` (from the client's environment text) makes
 * relative paths absolute for Claude Code, whose file tools take only absolute paths.
 */
export function toolDialect(offered: readonly string[], cwd: string | undefined): ToolDialect {
  const shellTool = ["exec_command", "shell_command", "shell"].find((name) => offered.includes(name));
  if (shellTool && !offered.includes("bash") && !offered.includes("Bash"))
    return codexDialect(offered, shellTool);
  if (offered.includes("Bash")) return claudeDialect(offered, cwd);
  return { names: [...offered], toClient: (name, args) => ({ name, args }) };
}

function claudeDialect(offered: readonly string[], cwd: string | undefined): ToolDialect {
  const absolute = (file: unknown) =>
    typeof file === "string" && cwd && !file.startsWith("/") ? `${cwd.replace(/\/$/, "")}/${file}` : file;
  return {
    names: offered.map((name) => claudeNames[name] ?? name),
    toClient(name, args) {
      switch (name) {
        case "bash":
          return {
            name: "Bash",
            args: { command: args.command, description: args.description ?? "Run a command" },
          };
        case "write":
          return { name: "Write", args: { file_path: absolute(args.filePath), content: args.content } };
        case "read":
          return { name: "Read", args: { file_path: absolute(args.filePath) } };
        case "edit":
          return {
            name: "Edit",
            args: {
              file_path: absolute(args.filePath),
              old_string: args.oldString,
              new_string: args.newString,
            },
          };
        default:
          return { name, args };
      }
    },
  };
}

function codexDialect(offered: readonly string[], shellTool: string): ToolDialect {
  const asShell = (command: string) =>
    shellTool === "exec_command"
      ? { cmd: command }
      : shellTool === "shell_command"
        ? { command }
        : { command: ["bash", "-lc", command] };
  const others = offered.filter((name) => name !== shellTool);
  return {
    names: [...others, "bash", "write", "read", "edit"],
    toClient(name, args) {
      const path = quote(String(args.filePath ?? ""));
      switch (name) {
        case "bash":
          return { name: shellTool, args: asShell(String(args.command ?? "")) };
        case "write":
          return {
            name: shellTool,
            args: asShell(
              `mkdir -p "$(dirname ${path})" && printf '%s' ${quote(String(args.content ?? ""))} > ${path}`,
            ),
          };
        case "read":
          return { name: shellTool, args: asShell(`cat ${path}`) };
        case "edit":
          return {
            name: shellTool,
            args: asShell(
              `o=${quote(String(args.oldString ?? ""))}; n=${quote(String(args.newString ?? ""))}; c=$(cat ${path}; printf x); c=\${c%x}; printf '%s' "\${c//"$o"/"$n"}" > ${path}`,
            ),
          };
        default:
          return { name, args };
      }
    },
  };
}

/** A POSIX shell single-quoted word. */
function quote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** The working directory a client names in its environment text (Claude Code, Codex), if any. */
export function workingDirectoryIn(text: string): string | undefined {
  return /Primary working directory: (\S+)/.exec(text)?.[1] ?? /<cwd>([^<]+)<\/cwd>/.exec(text)?.[1]?.trim();
}
