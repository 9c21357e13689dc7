// Regenerates schema/drover.schema.json from the config's zod schema (npm run schema).
import { writeFileSync } from "node:fs";
import { configJsonSchema } from "../src/config/json-schema.ts";

const file = new URL("../schema/drover.schema.json", import.meta.url);
writeFileSync(file, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file.pathname}`);
