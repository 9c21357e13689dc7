import { Octokit } from "@octokit/rest";

/** Where and as whom an issue comment is written. */
export interface CommentTarget {
  apiUrl: string;
  owner: string;
  repo: string;
  issue: number;
  token: string;
}

/** Writes the one comment drover keeps on an issue: created once, then edited (never a stream). */
export async function writeIssueComment(
  target: CommentTarget,
  body: string,
  existingId?: number,
): Promise<number> {
  const octokit = new Octokit({ auth: target.token, baseUrl: target.apiUrl, request: { retries: 0 } });
  if (existingId !== undefined) {
    await octokit.rest.issues.updateComment({
      owner: target.owner,
      repo: target.repo,
      comment_id: existingId,
      body,
    });
    return existingId;
  }
  const created = await octokit.rest.issues.createComment({
    owner: target.owner,
    repo: target.repo,
    issue_number: target.issue,
    body,
  });
  return created.data.id;
}
