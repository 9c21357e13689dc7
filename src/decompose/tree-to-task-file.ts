import { Document, isMap, isSeq, type YAMLMap } from "yaml";
import { allNodes, leavesOf, nodeLabel, type TaskNode } from "./task-tree.ts";

/** A leaf of the tree as a task: what runs. */
export interface LeafTask {
  id: string;
  title?: string;
  prompt: string;
  /** Leaf ids: a dependency on a split sibling is a dependency on all of its leaves. */
  dependsOn: string[];
  /** Its own `touches`, else the nearest split parent's. */
  touches: string[];
}

/**
 * The tasks a tree stands for: its leaves, in order. A leaf waits for what it depends on and for
 * what each of its split parents depends on (as leaves).
 */
export function leafTasks(tree: TaskNode): LeafTask[] {
  const byId = new Map(allNodes(tree).map((node) => [node.id, node]));
  const parentOf = new Map<string, TaskNode>();
  for (const node of byId.values()) for (const child of node.children) parentOf.set(child.id, node);
  return leavesOf(tree).map((leaf) => {
    const dependsOn = new Set<string>();
    let touches: string[] = [];
    for (let node: TaskNode | undefined = leaf; node; node = parentOf.get(node.id)) {
      for (const dep of node.dependsOn) {
        const target = byId.get(dep);
        for (const done of target ? leavesOf(target) : []) dependsOn.add(done.id);
      }
      if (touches.length === 0) touches = node.touches;
    }
    return {
      id: leaf.id,
      ...(leaf.title ? { title: leaf.title } : {}),
      prompt: leaf.prompt,
      dependsOn: [...dependsOn],
      touches,
    };
  });
}

export interface TaskFileOptions {
  /** Shared fields for every task (`dir`, `repo`…), as they go in the file's `defaults`. */
  defaults?: Record<string, unknown>;
  /** Write `touches:` on the tasks (they need `repo`); without it they are kept as comments. */
  withTouches: boolean;
}

/** The task file (the shape `drover run` reads) for a tree: one task per leaf. */
export function taskFileObject(tree: TaskNode, options: TaskFileOptions): Record<string, unknown> {
  const tasks = leafTasks(tree).map((leaf) => ({
    id: leaf.id,
    ...(leaf.title ? { title: leaf.title } : {}),
    prompt: leaf.prompt,
    ...(leaf.dependsOn.length > 0 ? { dependsOn: leaf.dependsOn } : {}),
    ...(options.withTouches && leaf.touches.length > 0 ? { touches: leaf.touches } : {}),
  }));
  const defaults =
    options.defaults && Object.keys(options.defaults).length > 0 ? options.defaults : undefined;
  return { ...(defaults ? { defaults } : {}), tasks };
}

/**
 * The task file as YAML, with comments a person reviewing it needs: where each split begins and,
 * without a repo, the `touches` the model gave.
 */
export function taskFileYaml(tree: TaskNode, options: TaskFileOptions): string {
  const doc = new Document(taskFileObject(tree, options));
  doc.commentBefore = ` Written by drover decompose from ${tree.id}: ${nodeLabel(tree)}`;
  const leaves = leafTasks(tree);
  // The root's split is the header; nested ones are noted where their first task begins.
  const splits = allNodes(tree).filter((node) => node !== tree && node.children.length > 0);
  const items = doc.get("tasks");
  if (!isSeq(items)) return doc.toString({ lineWidth: 0 });
  items.items.forEach((item, index) => {
    const leaf = leaves[index];
    if (!leaf || !isMap(item)) return;
    const notes = splits
      .filter((node) => leavesOf(node)[0]?.id === leaf.id)
      .map((node) => `${node.id}: ${nodeLabel(node)}`);
    if (!options.withTouches && leaf.touches.length > 0)
      notes.push(`touches (needs repo): ${leaf.touches.join(", ")}`);
    if (notes.length > 0) item.commentBefore = notes.map((note) => ` ${note}`).join("\n");
    flowList(item, "dependsOn");
    flowList(item, "touches");
  });
  return doc.toString({ lineWidth: 0 });
}

function flowList(item: YAMLMap, key: string): void {
  const list = item.get(key, true);
  if (isSeq(list)) list.flow = true;
}
