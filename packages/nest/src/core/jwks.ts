import { createPublicKey } from 'node:crypto';
import type { AccessTokenKey, AccessTokenKeyResolver } from './access-token';
import type { IssuerClient } from './issuer-client';
import { requestJson, unavailable } from './remote';

/** The asymmetric JWS algorithms access tokens may use (RFC 8725 §3.1: never `none`, never HS*). */
export const ACCEPTED_ALGORITHMS = [
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
] as const;
export type AcceptedAlgorithm = (typeof ACCEPTED_ALGORITHMS)[number];

interface Jwk {
  kid?: unknown;
  alg?: unknown;
  use?: unknown;
  kty?: unknown;
}

/**
 * The issuer's published keys (its `jwks_uri`), cached. An unknown `kid` fetches the set again, at
 * most once per `minRefetchMs` (a flood of made-up kids cannot turn into a flood of requests), and
 * concurrent lookups share one fetch. Only keys that name their `alg` are used, and a token's `alg`
 * must be exactly that (RFC 8725 §3.1).
 */
export class RemoteKeySet {
  private keys = new Map<string, AccessTokenKey>();
  private fetchedAtMs = 0;
  private inflight?: Promise<void>;
  loaded = false;

  constructor(
    private readonly issuer: IssuerClient,
    private readonly minRefetchMs = 5000,
  ) {}

  readonly resolve: AccessTokenKeyResolver = async (kid) => {
    const known = this.keys.get(kid);
    if (known) return known;
    if (Date.now() - this.fetchedAtMs >= this.minRefetchMs)
      await this.refresh().catch((err: unknown) => {
        throw unavailable(err);
      });
    return this.keys.get(kid);
  };

  /** A key known now, without fetching (for tokens verified earlier: is their key still published?). */
  has(kid: string): boolean {
    return this.keys.has(kid);
  }

  /** Fetches the key set now (at start, and when the feed says the keys changed). */
  refresh(): Promise<void> {
    this.inflight ??= this.load().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async load(): Promise<void> {
    const { jwks_uri } = await this.issuer.getMetadata();
    const body = await requestJson<{ keys?: unknown }>(this.issuer.conn, jwks_uri);
    const next = new Map<string, AccessTokenKey>();
    for (const jwk of Array.isArray(body.keys) ? (body.keys as Jwk[]) : []) {
      if (typeof jwk !== 'object' || jwk === null) continue;
      if (typeof jwk.kid !== 'string' || typeof jwk.alg !== 'string') continue;
      if (
        !(ACCEPTED_ALGORITHMS as readonly string[]).includes(jwk.alg) ||
        (jwk.use !== undefined && jwk.use !== 'sig')
      )
        continue;
      try {
        const publicKey = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
        if (publicKey.type !== 'public') continue;
        next.set(jwk.kid, { kid: jwk.kid, alg: jwk.alg, publicKey });
      } catch {
        // A key this runtime cannot import is one we cannot verify with: skipped, like an unknown kid.
      }
    }
    this.keys = next;
    this.fetchedAtMs = Date.now();
    this.loaded = true;
  }
}
