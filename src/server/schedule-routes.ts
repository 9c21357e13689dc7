import type { Context, Hono } from "hono";
import { z } from "zod";
import { DroverError } from "../core/errors.ts";
import { ScheduleName } from "../schedules/schedule-input.ts";
import type { ScheduleService } from "../schedules/schedule-service.ts";
import { limitParam, readParam, readQuery } from "./request-input.ts";

const HistoryQuery = z.object({ limit: limitParam(1000, 50) });

const name = (c: Context) => readParam(c, "name", ScheduleName);

/** Schedules on the API: add, list, show, pause, resume, remove, run now, and each one's firings. */
export function addScheduleRoutes(app: Hono, schedules: ScheduleService): void {
  app.get("/v1/schedules", (c) => c.json({ schedules: schedules.list() }));
  app.post("/v1/schedules", async (c) => {
    // The body is validated by the service, whose messages name the field (cron, timezone, file…).
    const body = await c.req.json().catch(() => {
      throw new DroverError("bad_input", "request body is not JSON");
    });
    return c.json({ schedule: await schedules.add(body) }, 201);
  });
  app.get("/v1/schedules/:name", (c) => c.json(schedules.get(name(c))));
  app.delete("/v1/schedules/:name", (c) => {
    const removed = name(c);
    schedules.remove(removed);
    return c.json({ removed });
  });
  app.post("/v1/schedules/:name/pause", (c) => c.json({ schedule: schedules.pause(name(c)) }));
  app.post("/v1/schedules/:name/resume", (c) => c.json({ schedule: schedules.resume(name(c)) }));
  /** Fires now; 201 with the firing, whose status says whether its batch started (`fired`) or why not. */
  app.post("/v1/schedules/:name/run", async (c) => c.json({ firing: await schedules.run(name(c)) }, 201));
  app.get("/v1/schedules/:name/history", (c) =>
    c.json({ firings: schedules.history(name(c), readQuery(c, HistoryQuery).limit) }),
  );
}
