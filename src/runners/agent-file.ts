import { parseDocument, stringify } from "yaml";
import { DroverError } from "../core/errors.ts";

/** The parts of a runner that make an OpenCode agent definition (markdown with frontmatter). */
export interface AgentDefinition {
  name: string;
  description: string;
  model?: string;
  instructions: string;
  /** temperature, tools, permission, mode: passed through to the frontmatter. */
  settings: Record<string, unknown>;
}

/**
 * Renders `.opencode/agents/<name>.md` (the seeds' custom agents), so the runner also works as
 * `opencode run --agent <name>` without drover.
 */
export function renderAgentFile(agent: AgentDefinition): string {
  const front: Record<string, unknown> = {
    description: agent.description || `drover runner ${agent.name}`,
    mode: agent.settings.mode ?? "all",
    ...(agent.model ? { model: agent.model } : {}),
  };
  for (const key of ["temperature", "tools", "permission"])
    if (agent.settings[key] !== undefined) front[key] = agent.settings[key];
  return `---\n${stringify(front).trimEnd()}\n---\n\n${agent.instructions.trim()}\n`;
}

/** Reads an OpenCode agent markdown file back into a runner definition. */
export function parseAgentFile(name: string, text: string): AgentDefinition {
  const match = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?([\s\S]*)$/.exec(text);
  if (!match) throw new DroverError("bad_input", `agent ${name}: no frontmatter (--- … ---) found`);
  const doc = parseDocument(match[1] as string);
  if (doc.errors.length > 0)
    throw new DroverError("bad_input", `agent ${name}: bad frontmatter: ${doc.errors[0]?.message}`);
  const front = (doc.toJS() ?? {}) as Record<string, unknown>;
  const settings: Record<string, unknown> = {};
  for (const key of ["temperature", "tools", "permission", "mode"])
    if (front[key] !== undefined) settings[key] = front[key];
  return {
    name,
    description: typeof front.description === "string" ? front.description : "",
    ...(typeof front.model === "string" ? { model: front.model } : {}),
    instructions: (match[2] ?? "").trim(),
    settings,
  };
}
