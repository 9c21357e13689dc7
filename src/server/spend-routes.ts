import type { Hono } from "hono";
import { z } from "zod";
import type { BudgetSettings } from "../config/spend-settings.ts";
import { readSince, SpendGroupingName, spendReport } from "../spend/spend-report.ts";
import type { Store } from "../store/store.ts";
import { readQuery } from "./request-input.ts";

const SpendQuery = z.object({ by: SpendGroupingName.default("model"), since: z.string().max(40).optional() });

/** `GET /v1/spend?by=task|batch|model|runner|day&since=24h`: spend against the budget caps. */
export function addSpendRoutes(
  app: Hono,
  deps: { store: Store; budget: BudgetSettings; now: () => number },
): void {
  app.get("/v1/spend", (c) => {
    const query = readQuery(c, SpendQuery);
    const now = deps.now();
    return c.json(
      spendReport(deps.store.spend, deps.budget, {
        by: query.by,
        since: readSince(query.since, now, "since"),
        now,
      }),
    );
  });
}
