/**
 * `owner/name` of a GitHub-style remote URL: `https://host/owner/name(.git)`, `ssh://git@host/owner/name`,
 * or scp-like `git@host:owner/name.git`. Undefined for a local path or anything else.
 */
export function ownerAndName(url: string): { owner: string; name: string } | undefined {
  const trimmed = url.trim();
  const scp = /^[\w.-]+@[\w.-]+:(?!\/)([^/\s]+)\/([^/\s]+?)(?:\.git)?\/?$/.exec(trimmed);
  if (scp?.[1] && scp[2]) return { owner: scp[1], name: scp[2] };
  const web = /^(?:https?|ssh|git):\/\/[^/\s]+\/([^/\s]+)\/([^/\s]+?)(?:\.git)?\/?$/.exec(trimmed);
  if (web?.[1] && web[2]) return { owner: web[1], name: web[2] };
  return undefined;
}
