import { nodeLabel, type TaskNode } from "./task-tree.ts";

/**
 * The tree as text, one node a line, for a person to review:
 *
 *     t1 composite: Build a CRM
 *     ├─ t1.1 Contact management  touches src/contacts/**
 *     └─ t1.2 Deal pipeline  after t1.1
 */
export function renderTree(tree: TaskNode): string {
  const lines = [`${tree.id} ${kindText(tree)}: ${nodeLabel(tree)}`];
  const walk = (node: TaskNode, indent: string) => {
    node.children.forEach((child, index) => {
      const last = index === node.children.length - 1;
      const extras = [
        child.children.length > 0 ? "(split)" : "",
        child.dependsOn.length > 0 ? `after ${child.dependsOn.join(", ")}` : "",
        child.touches.length > 0 ? `touches ${child.touches.join(", ")}` : "",
      ].filter(Boolean);
      lines.push(
        `${indent}${last ? "└─" : "├─"} ${child.id} ${nodeLabel(child, 60)}  ${extras.join("  ")}`.trimEnd(),
      );
      walk(child, `${indent}${last ? "   " : "│  "}`);
    });
  };
  walk(tree, "");
  return lines.join("\n");
}

function kindText(node: TaskNode): string {
  if (node.kind === "composite") return `composite, ${node.children.length} subtasks`;
  return node.kind === "atomic" ? "atomic, one task" : "not classified";
}
