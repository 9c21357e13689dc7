import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { configJsonSchema } from "../../src/config/json-schema.ts";

describe("drover.json JSON Schema", () => {
  it("is generated from the zod schema and committed up to date (npm run schema)", () => {
    const committed = JSON.parse(
      readFileSync(new URL("../../schema/drover.schema.json", import.meta.url), "utf8"),
    );
    assert.deepEqual(committed, configJsonSchema());
  });

  it("describes every field for editors", () => {
    const schema = configJsonSchema() as { properties: Record<string, { description?: string }> };
    for (const [name, field] of Object.entries(schema.properties)) {
      assert.ok(field.description, `${name} has a description`);
    }
  });
});
