// Bundles the web dashboard (src/dashboard, Preact) into dist/dashboard: index.html, app.js, app.css.
// Run by `npm run build` (and so by `prepare`); the daemon serves these files at `/`.
import { copyFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const from = (file: string) => fileURLToPath(new URL(`../src/dashboard/${file}`, import.meta.url));
const outDir = fileURLToPath(new URL("../dist/dashboard/", import.meta.url));

// Overwritten in place, not removed first: a running daemon keeps serving while others rebuild.
mkdirSync(outDir, { recursive: true });
await build({
  entryPoints: { app: from("main.tsx") },
  outdir: outDir,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["chrome111", "firefox115", "safari16.4"],
  jsx: "automatic",
  jsxImportSource: "preact",
  minify: true,
  legalComments: "none",
  logLevel: "warning",
});
await build({
  entryPoints: { app: from("app.css") },
  outdir: outDir,
  bundle: true,
  minify: true,
  logLevel: "warning",
});
copyFileSync(from("index.html"), `${outDir}index.html`);
console.log(`dashboard built into ${outDir}`);
