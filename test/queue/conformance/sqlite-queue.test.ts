import path from "node:path";
import { SqliteQueue } from "../../../src/queue/contract/sqlite-queue.ts";
import { makeTempDir } from "../../helpers/temp-dir.ts";
import { createManualClock } from "./manual-clock.ts";
import { queueConformance } from "./queue-conformance.ts";

queueConformance({
  name: "sqlite",
  shortLeaseMs: 3_000,
  async create() {
    const temp = makeTempDir("drover-queue-");
    const file = path.join(temp.dir, "queue.sqlite");
    const { clock, advance } = createManualClock();
    return {
      open: async () => new SqliteQueue({ file, clock }),
      now: () => clock.now(),
      letTimePass: advance,
      // Every handle is closed by then: reopening the file is the restart.
      restartStore: async () => {},
      cleanup: async () => temp.cleanup(),
    };
  },
});
