/** Each attempt's conversation (JSON, capped at 256 KB), so `drover show`/`transcript` work without OpenCode. */
export const attemptTranscriptSchema = `
alter table attempts add column transcript text;
`;
