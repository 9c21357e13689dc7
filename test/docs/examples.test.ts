import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type ParseError, parse as parseJsonc } from "jsonc-parser";
import { parse as parseYaml } from "yaml";
import { loadConfig } from "../../src/config/load.ts";
import { BatchResults } from "../../src/supervisor/batch-results.ts";
import { runDrover } from "../helpers/run-cli.ts";
import { makeTempDir } from "../helpers/temp-dir.ts";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

interface Example {
  file: string;
  line: number;
  lang: string;
  code: string;
}

/** Every fenced json/yaml/ts block of README.md and docs/*.md, indented ones included. */
function extractExamples(): Example[] {
  const files = ["README.md", ...readdirSync(path.join(repo, "docs")).map((name) => path.join("docs", name))];
  const out: Example[] = [];
  for (const file of files.filter((name) => name.endsWith(".md"))) {
    const lines = readFileSync(path.join(repo, file), "utf8").split("\n");
    for (let i = 0; i < lines.length; i++) {
      const open = /^(\s*)```(json|jsonc|yaml|yml|ts|typescript)\s*$/.exec(lines[i] ?? "");
      if (!open) continue;
      const indent = open[1]?.length ?? 0;
      const body: string[] = [];
      let j = i + 1;
      for (; j < lines.length && !/^\s*```\s*$/.test(lines[j] ?? ""); j++)
        body.push((lines[j] ?? "").slice(indent));
      out.push({ file, line: i + 1, lang: open[2] as string, code: body.join("\n") });
      i = j;
    }
  }
  return out;
}

/** A jsonc block as drover.json reads it (comments, trailing commas); any syntax error fails. */
function parseStrictJsonc(code: string): unknown {
  const errors: ParseError[] = [];
  const value = parseJsonc(code, errors, { allowTrailingComma: true });
  assert.deepEqual(errors, [], "the jsonc block has syntax errors");
  return value;
}

/** A GitHub App example names its private key file: write one there, 0600, as the user has it. */
function layOutPrivateKey(dir: string, config: Record<string, unknown>): void {
  const tokens = config.tokens as { github?: { privateKeyPath?: string } } | undefined;
  const keyPath = tokens?.github?.privateKeyPath;
  if (!keyPath) return;
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const file = path.resolve(dir, keyPath);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
}

const examples = extractExamples();
const where = (example: Example) => `${example.file}:${example.line}`;

describe("documentation examples run as written", () => {
  const temp = makeTempDir();
  after(() => temp.cleanup());

  it("finds the examples (config, task file, results, library)", () => {
    const langs = new Set(examples.map((example) => example.lang));
    assert.ok(langs.has("json") && langs.has("yaml") && langs.has("ts"), [...langs].join(", "));
  });

  for (const example of examples.filter((e) => e.lang === "json" || e.lang === "jsonc")) {
    it(`json at ${where(example)} is valid and means what it says`, () => {
      // drover.json may carry comments (jsonc); plain json blocks must be strict JSON.
      const value = (
        example.lang === "jsonc" ? parseStrictJsonc(example.code) : JSON.parse(example.code)
      ) as Record<string, unknown>;
      const dir = path.join(temp.dir, `json-${example.line}`);
      mkdirSync(dir, { recursive: true });
      if ("batch" in value && "tasks" in value) {
        // The README's results.json must be what drover writes: the results schema itself, strict.
        BatchResults.parse(value);
        return;
      }
      // A drover.json, or an OpenCode config (which drover passes through as `opencode`).
      const asDrover = "$schema" in value || !("provider" in value) ? value : { opencode: value };
      writeFileSync(path.join(dir, "drover.json"), JSON.stringify(asDrover));
      layOutPrivateKey(dir, asDrover);
      loadConfig({ cwd: dir, env: {} });
    });
  }

  for (const example of examples.filter((e) => e.lang === "yaml" || e.lang === "yml")) {
    it(`yaml task file at ${where(example)} plans with drover plan`, async () => {
      const dir = path.join(temp.dir, `yaml-${example.line}`, "project");
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, "tasks.yaml");
      writeFileSync(file, example.code);
      // Tasks naming a routing tier run with the config example written just above them.
      if (/\btier:/.test(example.code)) {
        const config = examples
          .filter((e) => e.file === example.file && e.line < example.line && e.lang === "json")
          .filter((e) => e.code.includes('"routing"'))
          .pop();
        if (config) writeFileSync(path.join(dir, "drover.json"), config.code);
      }
      // Lay out the directories and files the example refers to, as the user's repository has them.
      const document = parseYaml(example.code) as {
        defaults?: { dir?: string; repo?: string; files?: string[] };
        tasks: { dir?: string; repo?: string; files?: string[] }[];
      };
      for (const task of document.tasks) {
        // A task on a repository works in it unless it names a dir (plan checks folders, not git).
        const repoDir = task.repo ?? document.defaults?.repo;
        if (repoDir) mkdirSync(path.resolve(dir, repoDir), { recursive: true });
        const taskDir = path.resolve(dir, task.dir ?? document.defaults?.dir ?? repoDir ?? ".");
        mkdirSync(taskDir, { recursive: true });
        for (const attached of task.files ?? document.defaults?.files ?? []) {
          mkdirSync(path.dirname(path.resolve(taskDir, attached)), { recursive: true });
          writeFileSync(path.resolve(taskDir, attached), "example\n");
        }
      }
      const run = runDrover(["plan", "tasks.yaml", "--json"], { cwd: dir });
      assert.equal(await run.exited, 0, `${where(example)}: ${run.stderr()}`);
      const plan = JSON.parse(run.stdout()) as { rounds: string[][] };
      assert.equal(plan.rounds.flat().length, document.tasks.length);
    });
  }

  for (const example of examples.filter((e) => e.lang === "ts" || e.lang === "typescript")) {
    it(`library example at ${where(example)} type-checks and runs against the scripted model`, {
      timeout: 180_000,
    }, async () => {
      // Inside the package, so `import … from "drover"` resolves to this very package (self-reference).
      const generated = path.join(repo, "test", "docs", ".generated");
      mkdirSync(generated, { recursive: true });
      const source = path.join(generated, `example-${example.line}.ts`);
      writeFileSync(source, `${example.code}\nexport {};\n`);
      try {
        writeFileSync(
          path.join(generated, "tsconfig.json"),
          JSON.stringify({
            extends: "../../../tsconfig.json",
            compilerOptions: { rootDir: "../../..", noEmit: true },
            include: [path.basename(source)],
          }),
        );
        execFileSync(
          process.execPath,
          [path.join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", generated],
          { stdio: "pipe" },
        );
        const cwd = path.join(temp.dir, `ts-${example.line}`);
        mkdirSync(cwd, { recursive: true });
        writeFileSync(
          path.join(cwd, "tasks.yaml"),
          'tasks:\n  - id: hello\n    prompt: "[[reply hello from the docs]]"\n',
        );
        const output = execFileSync(process.execPath, ["--import", import.meta.resolve("tsx"), source], {
          cwd,
          env: { ...process.env, DROVER_STATE_DIR: path.join(cwd, "state") },
          encoding: "utf8",
        });
        assert.match(output, /batch\.finished/, `${where(example)} ran the batch to its end`);
      } finally {
        rmSync(generated, { recursive: true, force: true });
      }
    });
  }
});
