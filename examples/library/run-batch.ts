// drover as a library: run a task file in-process and print each task's status.
// Run from the repository: node --import tsx examples/library/run-batch.ts examples/quickstart/tasks.yaml
// (in your own project, import from "drover" instead of "../../src/index.ts").
import { createApp, dispatchBatch, loadConfig, readTaskFile } from "../../src/index.ts";

const file = process.argv[2] ?? "examples/quickstart/tasks.yaml";
const loaded = loadConfig({ cwd: process.cwd(), env: process.env });
const specs = readTaskFile(file, {
  model: loaded.config.model,
  timeoutMs: loaded.config.taskTimeout,
  baseDir: process.cwd(),
});
const app = await createApp({ loaded, env: process.env, models: specs.map((spec) => spec.model) });
try {
  await app.supervisor.start();
  app.bus.subscribe((event) => {
    if (event.type === "task.state") console.log(`${event.taskId}: ${event.from ?? "new"} → ${event.to}`);
  });
  const results = await dispatchBatch({
    store: app.store,
    engine: app.engine,
    supervisor: app.supervisor,
    specs,
    source: file,
  });
  for (const task of results.tasks) console.log(task.id, task.status, task.outcome?.summary ?? "");
  process.exitCode = results.batch.ok ? 0 : 1;
} finally {
  await app.close();
}
