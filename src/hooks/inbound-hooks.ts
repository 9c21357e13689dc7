import type { InboundHook } from "../config/webhook-settings.ts";
import { errorMessage } from "../core/errors.ts";
import { readSignedJson } from "./github-signature.ts";
import { fillTemplate } from "./task-template.ts";

export interface InboundAnswer {
  status: 202 | 400 | 401 | 404 | 422 | 503;
  body: Record<string, unknown>;
}

/**
 * `POST /v1/hooks/NAME`: a JSON body signed with the hook's secret (`X-Drover-Signature:
 * sha256=HMAC`, as GitHub signs) becomes the hook's task, its template filled from the body.
 */
export async function handleInboundHook(
  hook: InboundHook | undefined,
  delivery: { name: string; rawBody: string; signature?: string; secret: string | undefined },
  submit: (task: Record<string, unknown>, source: string) => Promise<{ batchId: string; created: boolean }>,
): Promise<InboundAnswer> {
  if (!hook) return { status: 404, body: { error: `no hook named "${delivery.name}" in webhooks` } };
  const signed = readSignedJson(delivery, delivery.secret, {
    secret: `the hook's secret (${hook.secretEnv})`,
    header: "X-Drover-Signature",
  });
  if ("refused" in signed) return signed.refused;
  const { body } = signed;
  const missing = new Set<string>();
  const fill = (template: string | undefined) => {
    if (template === undefined) return undefined;
    const filled = fillTemplate(template, body);
    for (const field of filled.missing) missing.add(field);
    return filled.text;
  };
  const { task } = hook;
  const filled = {
    id: (fill(task.id) ?? "hook").replace(/[^A-Za-z0-9_.-]/g, "-"),
    prompt: fill(task.prompt),
    ...(task.title ? { title: fill(task.title) } : {}),
    ...(task.dir ? { dir: task.dir } : {}),
    ...(task.repo ? { repo: task.repo } : {}),
    ...(task.model ? { model: task.model } : {}),
  };
  if (missing.size > 0)
    return {
      status: 400,
      body: { error: `the body has no ${[...missing].join(", ")} (the hook's template needs it)` },
    };
  try {
    const submitted = await submit(filled, `hook:${delivery.name}`);
    return { status: 202, body: { ...submitted, taskId: filled.id } };
  } catch (error) {
    return { status: 422, body: { error: errorMessage(error) } };
  }
}
