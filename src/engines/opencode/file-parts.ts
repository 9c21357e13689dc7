import path from "node:path";
import { pathToFileURL } from "node:url";

const mimeByExtension: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".pdf": "application/pdf",
  ".json": "application/json",
};

/** An OpenCode file part for an attached file (the seeds' `opencode run -f`). */
export function filePart(file: string): { type: "file"; mime: string; url: string; filename: string } {
  return {
    type: "file",
    mime: mimeByExtension[path.extname(file).toLowerCase()] ?? "text/plain",
    url: pathToFileURL(file).href,
    filename: path.basename(file),
  };
}
