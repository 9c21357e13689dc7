import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startHarness } from "../helpers/engine-harness.ts";
import { isAlive, killIfAlive, processesRunning, uniqueSleepSeconds } from "../helpers/processes.ts";
import { waitFor } from "../helpers/wait-for.ts";

describe("no process drover's servers started outlives drover", () => {
  it("stopping the engine kills a tool's detached child, which left the server's process group", async () => {
    const h = await startHarness({ outcome: "text" });
    const escaped = ["sleep", uniqueSleepSeconds(9997)];
    let left: number[] = [];
    let escapedPid = 0;
    try {
      const results = await h.run([
        h.task("escape", `[[bash (${escaped.join(" ")} > /dev/null 2>&1 &)]] [[reply started it]]`),
      ]);
      assert.equal(results.tasks[0]?.status, "succeeded");
      const pids = processesRunning(escaped);
      assert.equal(pids.length, 1, "the detached sleep outlived its attempt");
      escapedPid = pids[0] as number;
    } finally {
      left = await h.close();
    }
    try {
      await waitFor(() => !isAlive(escapedPid), 10_000);
    } finally {
      killIfAlive(processesRunning(escaped));
    }
    assert.deepEqual(left, [], `processes left behind: ${left.join(", ")}`);
  });
});
