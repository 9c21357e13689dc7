import { type KeyObject, sign } from "node:crypto";

/** How far back `iat` is set: GitHub's advice against clock drift between drover and GitHub. */
export const jwtBackdateSeconds = 60;
/** How long the JWT is good for, counted from `iat`: GitHub refuses one that lives over 10 minutes. */
export const jwtLifetimeSeconds = 600;

/**
 * The JSON Web Token that authenticates drover as the GitHub App (RS256, signed with the app's
 * private key): `iss` the app, `iat` a minute ago, `exp` nine minutes ahead. Used only to mint
 * installation tokens, never given to a task.
 */
export function appJwt(app: { appId: number | string; privateKey: KeyObject }, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000) - jwtBackdateSeconds;
  const header = encode({ alg: "RS256", typ: "JWT" });
  const payload = encode({ iat, exp: iat + jwtLifetimeSeconds, iss: String(app.appId) });
  const signature = sign("sha256", Buffer.from(`${header}.${payload}`), app.privateKey);
  return `${header}.${payload}.${signature.toString("base64url")}`;
}

function encode(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}
