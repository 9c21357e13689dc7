import { createPublicKey, verify } from "node:crypto";

/**
 * Discord's interaction signature: Ed25519 over `TIMESTAMP + BODY` with the application's public
 * key (hex), sent as `X-Signature-Ed25519` (hex) and `X-Signature-Timestamp`.
 */
export function validDiscordSignature(
  publicKeyHex: string,
  rawBody: string,
  headers: { signature?: string; timestamp?: string },
): boolean {
  if (!headers.signature || !headers.timestamp || !/^[0-9a-f]{64}$/i.test(publicKeyHex)) return false;
  if (!/^[0-9a-f]{128}$/i.test(headers.signature)) return false;
  try {
    const key = createPublicKey({
      key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(publicKeyHex, "hex").toString("base64url") },
      format: "jwk",
    });
    return verify(null, Buffer.from(headers.timestamp + rawBody), key, Buffer.from(headers.signature, "hex"));
  } catch {
    return false;
  }
}
