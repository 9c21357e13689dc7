import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { it } from "node:test";
import { droverVersion } from "../../src/core/version.ts";

it("droverVersion (which fleet hosts compare) is package.json's version", () => {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  assert.equal(droverVersion, pkg.version);
});
