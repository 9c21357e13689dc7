import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Event as OpencodeEvent } from "@opencode-ai/sdk/v2";
import { WatchdogSettings } from "../../src/config/watchdog-settings.ts";
import { systemClock } from "../../src/core/clock.ts";
import type { AttemptRequest } from "../../src/engines/contract.ts";
import { AttemptActivity } from "../../src/engines/opencode/attempt-activity.ts";
import { AttemptWatch } from "../../src/engines/opencode/attempt-watch.ts";
import type { OpencodeServer } from "../../src/engines/opencode/opencode-server.ts";
import type { SessionTracker } from "../../src/engines/opencode/session-tracker.ts";
import type { Verdict } from "../../src/watchdog/judge.ts";

// Thrashing is a pattern of steps: it is flagged as the step that completes it ends, not at the
// next tick, so an agent that runs its steps quickly and finishes between two ticks is still seen.

const stepFinished = (id: string) =>
  ({
    type: "message.part.updated",
    properties: { part: { id, sessionID: "ses_1", messageID: "msg_1", type: "step-finish" } },
  }) as unknown as OpencodeEvent;

describe("AttemptWatch: thrashing judged per step", () => {
  it("flags the step that reaches thrashSteps, once, with no tick in between", () => {
    const verdicts: Verdict[] = [];
    const activity = new AttemptActivity(() => 1_000);
    const watch = new AttemptWatch({
      server: {} as OpencodeServer,
      sessionId: "ses_1",
      request: { dir: "/tmp", onWatchdog: (v: Verdict) => verdicts.push(v) } as unknown as AttemptRequest,
      tracker: { liveness: "in_tool", refresh: () => undefined } as unknown as SessionTracker,
      activity,
      watchdog: WatchdogSettings.parse({ thrashSteps: 3 }),
      onPermission: "reject",
      clock: systemClock,
    });
    for (const id of ["s1", "s2"]) {
      activity.handle(stepFinished(id));
      watch.stepped();
    }
    const judged = () => verdicts.map((v) => [v.state, v.remedy, v.evidence.steps]);
    assert.deepEqual(judged(), [], "two steps are not yet thrashing");
    for (const id of ["s3", "s4", "s5"]) {
      activity.handle(stepFinished(id));
      watch.stepped();
    }
    assert.deepEqual(judged(), [["thrashing", "flag", 3]]);
  });
});
