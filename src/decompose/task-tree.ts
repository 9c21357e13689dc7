/**
 * One node of a decomposed brief. The root is the brief itself (`t1`); a composite node's children
 * are its subtasks, with ids dotted under it (`t1.2`, `t1.2.1`). Only leaves become tasks.
 */
export interface TaskNode {
  id: string;
  /** A short name from the model (the root has none: its prompt is the brief). */
  title?: string;
  prompt: string;
  /** Ids of sibling nodes that must be done before this one. */
  dependsOn: string[];
  /** Globs of what it will change, as the model said. */
  touches: string[];
  /** atomic / composite as the model said; `depth_limit`: not asked, the depth limit was reached. */
  kind: "atomic" | "composite" | "depth_limit";
  /** The model's reason for its classification. */
  reason?: string;
  children: TaskNode[];
}

/** The leaves under a node (the node itself when it was not split), in order. */
export function leavesOf(node: TaskNode): TaskNode[] {
  return node.children.length === 0 ? [node] : node.children.flatMap(leavesOf);
}

/** Every node of the tree, parents before children. */
export function allNodes(node: TaskNode): TaskNode[] {
  return [node, ...node.children.flatMap(allNodes)];
}

/** How a node is shown in one line: its title, else the first line of its prompt, cut to `width`. */
export function nodeLabel(node: TaskNode, width = 72): string {
  const text = node.title ?? node.prompt.split("\n")[0]?.trim() ?? node.id;
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}
