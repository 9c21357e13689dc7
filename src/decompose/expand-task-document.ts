import { badInput } from "../core/errors.ts";
import type { TaskSpec } from "../core/task-spec.ts";
import { checkTaskGraph } from "../intake/check-task-graph.ts";
import type { TaskDocument } from "../intake/read-task-file.ts";
import { taskFootprint } from "../intake/task-footprint.ts";
import type { Decomposer } from "./decomposer.ts";
import { type LeafTask, leafTasks } from "./tree-to-task-file.ts";

/**
 * Replaces every task marked `decompose: true` by its subtasks, before dispatch. Subtasks take the
 * task's other fields (dir, repo, model, files, timeout…) and its dependencies; tasks that
 * depended on it depend on all of its subtasks. A task the model finds atomic stays as it is.
 */
export async function expandTaskDocument(
  document: TaskDocument,
  decompose: Decomposer,
  source: string,
): Promise<TaskDocument> {
  const marked = document.decompose;
  if (!marked || marked.size === 0) return document;
  const leavesById = new Map<string, LeafTask[]>();
  await Promise.all(
    document.specs
      .filter((spec) => marked.has(spec.id))
      .map(async (spec) => {
        const tree = await decompose({
          id: spec.id,
          prompt: spec.prompt,
          ...(spec.title !== spec.id ? { title: spec.title } : {}),
          files: spec.files,
        });
        if (tree.children.length > 0) leavesById.set(spec.id, leafTasks(tree));
      }),
  );
  const renamed = (deps: readonly string[]) =>
    deps.flatMap((dep) => leavesById.get(dep)?.map((leaf) => leaf.id) ?? [dep]);
  const specs = document.specs.flatMap((spec): TaskSpec[] => {
    const leaves = leavesById.get(spec.id);
    if (!leaves) return [{ ...spec, dependsOn: renamed(spec.dependsOn) }];
    return leaves.map((leaf) => subtaskSpec(spec, leaf, renamed(spec.dependsOn)));
  });
  const issues = checkTaskGraph(specs, source);
  if (issues.length > 0) throw badInput("bad_input", issues);
  const idempotencyKeys = new Map<string, string>();
  for (const [id, key] of document.idempotencyKeys) {
    const leaves = leavesById.get(id);
    if (!leaves) idempotencyKeys.set(id, key);
    else for (const leaf of leaves) idempotencyKeys.set(leaf.id, `${key}/${leaf.id}`);
  }
  const { decompose: _done, ...rest } = document;
  return { ...rest, specs, idempotencyKeys };
}

function subtaskSpec(parent: TaskSpec, leaf: LeafTask, parentDeps: readonly string[]): TaskSpec {
  const workspace = parent.workspace
    ? {
        ...parent.workspace,
        touches: taskFootprint({
          repo: parent.workspace.repo,
          dir: parent.dir,
          prompt: leaf.prompt,
          files: parent.files,
          touches: leaf.touches,
        }),
      }
    : undefined;
  const { workspace: _parentWorkspace, ...inherited } = parent;
  return {
    ...inherited,
    id: leaf.id,
    prompt: leaf.prompt,
    title: leaf.title ?? leaf.id,
    dependsOn: [...new Set([...parentDeps, ...leaf.dependsOn])],
    ...(workspace ? { workspace } : {}),
  };
}
