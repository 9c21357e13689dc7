import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { DroverError, errorMessage } from "../core/errors.ts";
import { type AgentDefinition, parseAgentFile } from "./agent-file.ts";

/** An agent file that was not turned into a runner, and why. */
export interface SkippedAgentFile {
  file: string;
  reason: string;
}

const agentFolders = [".opencode/agents", ".opencode/agent"];

/**
 * Reads the OpenCode agent definitions of a project (`.opencode/agents/*.md`, `.opencode/agent/*.md`).
 * A missing directory, or one without any agent file, is a mistake worth an error (exit 2), not a
 * quiet "nothing imported".
 */
export function readAgentFiles(dir: string): {
  agents: (AgentDefinition & { file: string })[];
  skipped: SkippedAgentFile[];
} {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new DroverError("bad_input", `runner import: directory does not exist: ${dir}`);
  const agents: (AgentDefinition & { file: string })[] = [];
  const skipped: SkippedAgentFile[] = [];
  for (const folder of agentFolders) {
    const full = path.join(dir, folder);
    if (!existsSync(full)) continue;
    for (const entry of readdirSync(full)
      .filter((name) => name.endsWith(".md"))
      .sort()) {
      const file = path.join(full, entry);
      try {
        agents.push({ ...parseAgentFile(entry.slice(0, -3), readFileSync(file, "utf8")), file });
      } catch (error) {
        skipped.push({ file, reason: errorMessage(error) });
      }
    }
  }
  if (agents.length === 0 && skipped.length === 0) {
    throw new DroverError(
      "bad_input",
      `runner import: no OpenCode agent files in ${dir} (looked for ${agentFolders.map((f) => `${f}/*.md`).join(" and ")})`,
    );
  }
  return { agents, skipped };
}
