import { DroverError } from "../../core/errors.ts";

/** Resolves like `promise`, or rejects with `engine_start_failed: <message>` after `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DroverError("engine_start_failed", message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
