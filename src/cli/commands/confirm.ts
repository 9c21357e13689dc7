import { createInterface } from "node:readline";
import { DroverError } from "../../core/errors.ts";

/** Where a question is asked: a person can answer only when both ends are a terminal. */
export interface PromptStreams {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * Asks before something that cannot be undone. `--yes` skips the question; without a terminal there
 * is no one to ask, so scripts must say `--yes` (the usual rule of CLIs that delete things) and are
 * refused otherwise (exit 2). Resolves false when the person answers anything but y/yes.
 */
export async function confirmOrRefuse(options: {
  yes: boolean | undefined;
  question: string;
  /** Says what was refused, e.g. `runner destroy reviewer`. */
  action: string;
  streams: PromptStreams;
}): Promise<boolean> {
  if (options.yes) return true;
  if (!options.streams.input.isTTY || !options.streams.output.isTTY) {
    throw new DroverError(
      "bad_input",
      `${options.action}: not asking for confirmation because this is not a terminal; add --yes to go ahead`,
    );
  }
  return /^y(es)?$/i.test((await ask(options.question, options.streams)).trim());
}

function ask(question: string, streams: PromptStreams): Promise<string> {
  const prompt = createInterface({ input: streams.input, output: streams.output });
  return new Promise<string>((resolve) => {
    // Ctrl-C or Ctrl-D at the question means no.
    prompt.on("SIGINT", () => prompt.close());
    prompt.once("close", () => resolve(""));
    prompt.question(question, (answer) => {
      resolve(answer);
      prompt.close();
    });
  });
}
