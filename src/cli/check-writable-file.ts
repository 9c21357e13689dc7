import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";
import { badInput } from "../core/errors.ts";

/** Throws a bad-input error naming `flag` unless `file` can be created or overwritten. */
export function checkWritableFile(file: string, flag: string): void {
  const problem = whyNotWritable(file);
  if (problem)
    throw badInput("bad_input", [{ source: flag, path: "", message: `cannot write ${file}: ${problem}` }]);
}

function whyNotWritable(file: string): string | undefined {
  const existing = statOf(file);
  if (existing?.isDirectory()) return "it is a directory";
  const dir = path.dirname(file);
  const parent = statOf(dir);
  if (!parent) return `the folder ${dir} does not exist`;
  if (!parent.isDirectory()) return `${dir} is not a folder`;
  try {
    accessSync(existing ? file : dir, constants.W_OK);
  } catch {
    return existing ? "the file is not writable" : `the folder ${dir} is not writable`;
  }
  return undefined;
}

function statOf(file: string) {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}
