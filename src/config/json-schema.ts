import { z } from "zod";
import { DroverConfig } from "./schema.ts";

/** JSON Schema of drover.json for editors (`schema/drover.schema.json` is generated from this). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(DroverConfig, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}
