import type { Classification } from "./decomposition-report.ts";
import { nodeLabel, type TaskNode } from "./task-tree.ts";

/** Classifies one brief (a model call in practice; tests pass their own). */
export type Classify = (brief: {
  id: string;
  prompt: string;
  within: readonly string[];
}) => Promise<Classification>;

export interface DecomposeOptions {
  /** How many levels may be split: the brief is level 1, its subtasks level 2, … */
  depth: number;
  classify: Classify;
  /** One line per classification or split, as each ends. */
  onProgress?: (line: string) => void;
}

/**
 * Splits a brief into a tree: each brief is classified; a composite one gets its subtasks as
 * children (ids dotted under it, `dependsOn` positions turned into sibling ids), and each child
 * is classified in turn — siblings at the same time — until the depth limit.
 */
export async function decomposeBrief(
  root: { id: string; prompt: string; title?: string },
  options: DecomposeOptions,
): Promise<TaskNode> {
  const node: TaskNode = {
    id: root.id,
    ...(root.title ? { title: root.title } : {}),
    prompt: root.prompt,
    dependsOn: [],
    touches: [],
    kind: "depth_limit",
    children: [],
  };
  await split(node, 1, [], options);
  return node;
}

async function split(node: TaskNode, level: number, within: readonly string[], options: DecomposeOptions) {
  if (level > options.depth) return;
  const classification = await options.classify({ id: node.id, prompt: node.prompt, within });
  node.kind = classification.kind;
  node.reason = classification.reason;
  if (classification.kind === "atomic") {
    options.onProgress?.(`${node.id} atomic: ${classification.reason}`);
    return;
  }
  node.children = classification.subtasks.map((subtask, index) => ({
    id: `${node.id}.${index + 1}`,
    title: subtask.title,
    prompt: subtask.prompt,
    dependsOn: subtask.dependsOn.map((position) => `${node.id}.${position}`),
    touches: subtask.touches,
    kind: "depth_limit",
    children: [],
  }));
  const parts = node.children.map((child) => `${child.id} ${nodeLabel(child, 40)}`).join(", ");
  options.onProgress?.(`${node.id} composite, split into ${parts}: ${classification.reason}`);
  const inside = [...within, nodeLabel(node)];
  await Promise.all(node.children.map((child) => split(child, level + 1, inside, options)));
}
