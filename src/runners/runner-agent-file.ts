import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type AgentFileOwner, agentFileOwner, markAgentFile } from "./agent-file-marker.ts";

/** Where a runner's OpenCode agent definition is, and whose it is. */
export interface AgentFileState {
  path: string;
  owner: AgentFileOwner | "absent";
}

/**
 * The agent file of runner `name` in `dir`: `.opencode/agents/NAME.md`, or a person's
 * `.opencode/agent/NAME.md` (OpenCode's older folder), which drover never writes.
 */
export function agentFileState(dir: string, name: string): AgentFileState {
  const file = path.join(dir, ".opencode", "agents", `${name}.md`);
  if (existsSync(file)) return { path: file, owner: agentFileOwner(name, readFileSync(file, "utf8")) };
  const older = path.join(dir, ".opencode", "agent", `${name}.md`);
  if (existsSync(older)) return { path: older, owner: "user" };
  return { path: file, owner: "absent" };
}

/** Writes drover's agent file for the runner, unless a file drover did not write (or that was edited) is there. */
export function writeAgentFile(dir: string, name: string, rendered: string): AgentFileState {
  const state = agentFileState(dir, name);
  if (state.owner !== "absent" && state.owner !== "drover") return state;
  const marked = markAgentFile(name, rendered);
  if (state.owner === "drover" && readFileSync(state.path, "utf8") === marked) return state;
  mkdirSync(path.dirname(state.path), { recursive: true });
  writeFileSync(state.path, marked);
  return { path: state.path, owner: "drover" };
}

/** Deletes the runner's agent file only if drover wrote it and nobody changed it; says what it did. */
export function removeAgentFile(dir: string, name: string): AgentFileState & { removed: boolean } {
  const state = agentFileState(dir, name);
  if (state.owner !== "drover") return { ...state, removed: false };
  rmSync(state.path, { force: true });
  return { ...state, removed: true };
}
