import type { Command } from "commander";

/** What completion needs to know about one command, read off the commander program. */
export interface CommandShape {
  /** Words after `drover`, e.g. "runner create"; "" for the program itself. */
  key: string;
  subcommands: { name: string; description: string }[];
  options: { flags: string[]; description: string; takesValue: boolean; choices: string[] }[];
  /** Fixed choices of positional arguments (e.g. `completion bash|zsh`). */
  argumentChoices: string[];
}

/** Walks the program's commands, so the completion scripts never go stale. */
export function describeCommands(program: Command): CommandShape[] {
  const shapes: CommandShape[] = [];
  const visit = (command: Command, words: string[]) => {
    const visible = command.commands.filter((sub) => !(sub as unknown as { _hidden?: boolean })._hidden);
    shapes.push({
      key: words.join(" "),
      subcommands: visible.map((sub) => ({ name: sub.name(), description: firstLine(sub.description()) })),
      options: [
        ...command.options
          .filter((option) => !option.hidden)
          .map((option) => ({
            flags: [option.short, option.long].filter((flag): flag is string => Boolean(flag)),
            description: firstLine(option.description),
            takesValue: option.required || option.optional,
            choices: option.argChoices ?? [],
          })),
        { flags: ["-h", "--help"], description: "show help", takesValue: false, choices: [] },
      ],
      argumentChoices: command.registeredArguments.flatMap((argument) => argument.argChoices ?? []),
    });
    for (const sub of visible) visit(sub, [...words, sub.name()]);
  };
  visit(program, []);
  return shapes;
}

/** A bash completion script (bash 3.2+: no associative arrays, so macOS's bash works too). */
export function bashScript(shapes: readonly CommandShape[]): string {
  const table = (name: string, pick: (shape: CommandShape) => string[]) =>
    [
      `_drover_${name}() {`,
      '  case "$1" in',
      ...shapes
        .map((shape) => [shape.key, pick(shape).join(" ")] as const)
        .filter(([, words]) => words)
        .map(([key, words]) => `    ${quote(key)}) echo ${quote(words)} ;;`),
      "  esac",
      "}",
    ].join("\n");
  return `# drover completion for bash, generated from drover's commands by \`drover completion bash\`.
# Install for your user:  drover completion bash > ~/.local/share/bash-completion/completions/drover
# or in ~/.bashrc:         source <(drover completion bash)
${table("subcommands", (shape) => shape.subcommands.map((sub) => sub.name))}
${table("options", (shape) => shape.options.flatMap((option) => option.flags))}
${table("value_options", (shape) => shape.options.filter((o) => o.takesValue).flatMap((o) => o.flags))}
${table("choices", (shape) => shape.argumentChoices)}
_drover_completion() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" key="" word i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if [[ "$word" != -* && " $(_drover_subcommands "$key") " == *" $word "* ]]; then
      key="\${key:+$key }$word"
    fi
  done
  COMPREPLY=()
  # The value of an option: leave it to file-name completion.
  [[ "$prev" == -* && " $(_drover_value_options "$key") " == *" $prev "* ]] && return 0
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$(_drover_options "$key")" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(_drover_subcommands "$key") $(_drover_choices "$key")" -- "$cur"))
  fi
}
complete -o default -F _drover_completion drover
`;
}

/** A zsh completion script with descriptions; works from $fpath (as `_drover`) or sourced. */
export function zshScript(shapes: readonly CommandShape[]): string {
  const table = (name: string, pick: (shape: CommandShape) => string[]) =>
    [
      `_drover_${name}() {`,
      '  case "$1" in',
      ...shapes
        .map((shape) => [shape.key, pick(shape)] as const)
        .filter(([, entries]) => entries.length > 0)
        .map(([key, entries]) => `    ${quote(key)}) reply=(${entries.map(quote).join(" ")}) ;;`),
      "    *) reply=() ;;",
      "  esac",
      "}",
    ].join("\n");
  const described = (name: string, description: string) => `${name}:${description}`;
  return `#compdef drover
# drover completion for zsh, generated from drover's commands by \`drover completion zsh\`.
# Install:     drover completion zsh > "\${fpath[1]}/_drover"   (then start a new shell)
# or in ~/.zshrc, after compinit:  source <(drover completion zsh)
${table("subcommands", (shape) => shape.subcommands.map((sub) => described(sub.name, sub.description)))}
${table("options", (shape) => shape.options.flatMap((option) => option.flags.map((flag) => described(flag, option.description))))}
${table("value_options", (shape) => shape.options.filter((o) => o.takesValue).flatMap((o) => o.flags))}
${table("choices", (shape) => shape.argumentChoices)}
_drover() {
  local key="" word i
  local -a reply entries
  for ((i = 2; i < CURRENT; i++)); do
    word="\${words[i]}"
    _drover_subcommands "$key"
    if [[ "$word" != -* && -n "\${reply[(r)\${(b)word}:*]}" ]]; then
      key="\${key:+$key }$word"
    fi
  done
  _drover_value_options "$key"
  if [[ "\${words[CURRENT-1]}" == -* && \${reply[(Ie)\${words[CURRENT-1]}]} -gt 0 ]]; then
    _files
    return
  fi
  if [[ "$PREFIX" == -* ]]; then
    _drover_options "$key"
    entries=("\${reply[@]}")
    _describe -t options 'option' entries
    return
  fi
  _drover_subcommands "$key"
  if (( \${#reply} )); then
    entries=("\${reply[@]}")
    _describe -t commands 'command' entries
    return
  fi
  _drover_choices "$key"
  if (( \${#reply} )); then
    compadd -- "\${reply[@]}"
    return
  fi
  _files
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _drover "$@"
else
  compdef _drover drover
fi
`;
}

function firstLine(text: string): string {
  return (text.split("\n")[0] ?? "").trim();
}

/** Single-quotes a word for bash and zsh. */
function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
