import { createHash, timingSafeEqual } from 'node:crypto';

/** RFC 7636 §4.1/§4.2: verifier and challenge are 43-128 unreserved characters. */
const PKCE_VALUE = /^[A-Za-z0-9\-._~]{43,128}$/;
/** An S256 challenge is the base64url SHA-256 of the verifier: exactly 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** RFC 7636 §4.2 S256: BASE64URL(SHA256(ASCII(code_verifier))). */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/**
 * Why the authorization request's PKCE parameters are unacceptable, or undefined. Only `S256`
 * (RFC 9700 §2.1.1: `plain` must not be used); the method must be named, the default `plain` of
 * RFC 7636 §4.3 is refused too.
 */
export function challengeProblem(
  challenge: string | undefined,
  method: string | undefined,
  required: boolean,
): string | undefined {
  if (challenge === undefined) {
    if (method !== undefined) return 'code_challenge_method without code_challenge';
    return required ? 'code_challenge is required (PKCE, RFC 7636, method S256)' : undefined;
  }
  if (method === undefined) return 'code_challenge_method is required and must be S256';
  if (method !== 'S256') return 'Only the S256 code_challenge_method is supported';
  if (!S256_CHALLENGE.test(challenge) || !PKCE_VALUE.test(challenge))
    return 'code_challenge must be 43 base64url characters (S256)';
  return undefined;
}

/** RFC 7636 §4.6: the verifier's S256 hash equals the stored challenge (compared in constant time). */
export function verifyPkce(challenge: string, verifier: string): boolean {
  if (!PKCE_VALUE.test(verifier)) return false;
  const expected = Buffer.from(s256(verifier), 'ascii');
  const stored = Buffer.from(challenge, 'ascii');
  // Both are 43 characters when the challenge passed challengeProblem; the length is no secret.
  return expected.length === stored.length && timingSafeEqual(expected, stored);
}
