import type { KeyObject } from 'node:crypto';
import { errors, jwtVerify, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { MAX_TOKEN_LENGTH } from './bearer-token';
import { InvalidTokenError, TemporarilyUnavailableError } from './errors';

/** RFC 9068 §2.2 claims every access token carries, with their JSON types. */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  aud: string | string[];
  jti: string;
  sub: string;
  client_id: string;
  scope: string;
  exp: number;
  iat: number;
}

/** A verification key of the issuer: the token's `alg` must be exactly this key's (RFC 8725 §3.1). */
export interface AccessTokenKey {
  kid: string;
  alg: string;
  publicKey: KeyObject;
}

/** Looks a `kid` up in the issuer's own key store (RFC 8725 §3.10: kid is only ever a lookup key). */
export type AccessTokenKeyResolver = (kid: string) => Promise<AccessTokenKey | undefined>;

export interface AccessTokenPolicy {
  issuer: string;
  /**
   * This resource's identifier; `aud` must contain it (RFC 9068 §4). Null only for the issuer's own
   * token-management endpoints (introspection, revocation), which accept its tokens for any audience.
   */
  audience: string | null;
  /** RFC 7009: an expired token still identifies its record; every other check applies. */
  allowExpired?: boolean;
  /** The time to check `exp`/`nbf` against; now by default. */
  currentDate?: Date;
}

export interface VerifiedAccessToken {
  claims: AccessTokenClaims;
  /** The key that signed the token. */
  kid: string;
}

/** The verified caller behind an access token (RFC 9068 §2.2 claims). */
export interface Principal {
  jti: string;
  /** Client id (client credentials) or user id. */
  sub: string;
  clientId: string;
  /** The token's scopes (RFC 6749 §3.3), in the order the token lists them. */
  scopes: string[];
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** The resources the token is meant for (RFC 8707 / RFC 9068 §2.2 `aud`). */
  aud: string[];
  /** The key that signed the token (a cached principal is refused once that key is unpublished). */
  kid?: string;
}

/** Clock skew tolerated on `exp` and `nbf` (RFC 8725 §3.1 leaves it to the verifier; kept small). */
export const CLOCK_LEEWAY_SECONDS = 5;

/** RFC 9068 §2.2: REQUIRED claims (iss and aud are required by the issuer and audience checks). */
const REQUIRED_CLAIMS = ['jti', 'sub', 'client_id', 'scope', 'exp', 'iat'];

/** The public `error_description` of every refusal (RFC 6750 §3.1 invalid_token). */
export const REFUSAL = {
  malformed: 'The access token is malformed',
  typ: 'The token is not an access token (typ)',
  crit: 'The token has unsupported critical header parameters',
  key: 'The token was not signed by a key of this server',
  alg: 'The token algorithm does not match its key',
  signature: 'The access token signature is invalid',
  issuer: 'The access token was issued by another issuer',
  audience: 'The access token is not meant for this resource',
  notYetValid: 'The access token is not valid yet',
  expired: 'The access token expired',
  claims: 'The access token lacks required claims',
  revoked: 'The access token was revoked',
  invalid: 'The access token is invalid',
} as const;
export type Refusal = keyof typeof REFUSAL;

export function refused(reason: Refusal, detail?: string): InvalidTokenError {
  return new InvalidTokenError(REFUSAL[reason], detail);
}

/**
 * Verifies an RFC 9068 access token: header checks in the key resolver (`typ` at+jwt, no `crit`, the
 * key named by `kid`, exactly that key's `alg`), then the signature, `iss`, `aud`, `exp`/`nbf` with
 * CLOCK_LEEWAY_SECONDS (RFC 8725 §3.1, §3.8, §3.9, §3.11) and the required claims and their types.
 * Every failure is an InvalidTokenError.
 */
export async function verifyAccessToken(
  token: string,
  resolveKey: AccessTokenKeyResolver,
  policy: AccessTokenPolicy,
): Promise<VerifiedAccessToken> {
  if (token.length > MAX_TOKEN_LENGTH) throw refused('malformed', `token of ${token.length} characters`);
  let kid = '';
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(
      token,
      async (header) => {
        const key = await keyFor(header, resolveKey);
        kid = key.kid;
        return key.publicKey;
      },
      {
        issuer: policy.issuer,
        audience: policy.audience ?? undefined,
        clockTolerance: CLOCK_LEEWAY_SECONDS,
        requiredClaims: REQUIRED_CLAIMS,
        currentDate: policy.currentDate,
      },
    ));
  } catch (err) {
    // jose checks `exp` last, after the signature and every other claim: an expired token got this far.
    if (policy.allowExpired && err instanceof errors.JWTExpired) payload = err.payload;
    // The key could not be looked up (its store is away): not a verdict on the token.
    else if (err instanceof TemporarilyUnavailableError) throw err;
    else throw asInvalidToken(err);
  }
  return { claims: typedClaims(payload), kid };
}

/** The `aud` claim as a list (RFC 7519 §4.1.3: a string or an array of strings); empty when malformed. */
export function audiences(claims: JWTPayload): string[] {
  const { aud } = claims;
  if (typeof aud === 'string') return [aud];
  return Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string') ? aud : [];
}

/** The principal a verified token stands for. */
export function principalOf({ claims, kid }: VerifiedAccessToken): Principal {
  return {
    jti: claims.jti,
    sub: claims.sub,
    clientId: claims.client_id,
    scopes: claims.scope.split(' ').filter(Boolean),
    exp: claims.exp,
    aud: audiences(claims),
    kid,
  };
}

/** Any failure during verification as invalid_token; the public text depends only on jose's error code. */
export function asInvalidToken(err: unknown): InvalidTokenError {
  if (err instanceof InvalidTokenError) return err;
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return refused(refusalOf(err), detail);
}

const BY_CODE: Record<string, Refusal> = {
  ERR_JWS_INVALID: 'malformed',
  // Raised before the key resolver only for a `crit` extension jose does not know (RFC 7515 §4.1.11).
  ERR_JOSE_NOT_SUPPORTED: 'crit',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'signature',
  ERR_JWT_EXPIRED: 'expired',
  ERR_JWT_INVALID: 'invalid',
};

function refusalOf(err: unknown): Refusal {
  if (!(err instanceof errors.JOSEError)) return 'invalid';
  if (!(err instanceof errors.JWTClaimValidationFailed)) return BY_CODE[err.code] ?? 'invalid';
  if (err.claim === 'iss') return 'issuer';
  if (err.claim === 'aud') return 'audience';
  if (err.claim === 'nbf') return err.reason === 'check_failed' ? 'notYetValid' : 'invalid';
  return REQUIRED_CLAIMS.includes(err.claim) ? 'claims' : 'invalid';
}

async function keyFor(
  header: JWTHeaderParameters,
  resolveKey: AccessTokenKeyResolver,
): Promise<AccessTokenKey> {
  // RFC 9068 §4: typ is "at+jwt" or "application/at+jwt"; media types are case-insensitive.
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : '';
  if (typ !== 'at+jwt' && typ !== 'application/at+jwt') throw refused('typ', `typ ${shown(header.typ)}`);
  if (header.crit !== undefined) throw refused('crit', `crit ${shown(header.crit)}`);
  const key = typeof header.kid === 'string' ? await resolveKey(header.kid) : undefined;
  if (!key) throw refused('key', `kid ${shown(header.kid)}`);
  if (header.alg !== key.alg) throw refused('alg', `alg ${shown(header.alg)} for a ${key.alg} key`);
  return key;
}

function typedClaims(claims: JWTPayload): AccessTokenClaims {
  const wrong = REQUIRED_CLAIMS.filter(
    (c) => typeof claims[c] !== (c === 'exp' || c === 'iat' ? 'number' : 'string'),
  );
  if (audiences(claims).length === 0) wrong.push('aud');
  if (wrong.length) throw refused('claims', `wrong type: ${wrong.join(', ')}`);
  return claims as AccessTokenClaims;
}

/** Header values are attacker input: shown shortened in private details only. */
const shown = (v: unknown): string => (JSON.stringify(v) ?? 'undefined').slice(0, 80);
