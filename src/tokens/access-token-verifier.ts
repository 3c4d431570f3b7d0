import { Inject, Injectable } from '@nestjs/common';
import { UUID } from '../platform/uuid';
import { ConfigService } from '@nestjs/config';
import { SIGNING_ALGORITHMS, type AppConfig } from '../config/env';
import { KeysService } from '../keys/keys.service';
import {
  asInvalidToken,
  audiences,
  principalOf,
  refused,
  verifyAccessToken,
  type AccessTokenKeyResolver,
  type AccessTokenPolicy,
  type Principal,
  type VerifiedAccessToken,
} from '@scopegate/nest/core';
import { InvalidTokenError } from '../protocol/errors';
import { VerifiedTokenCache } from '@scopegate/nest/core';
import { isDatabaseUnavailable } from '../platform/unavailable';
import { RevocationService } from './revocation.service';

/** Every algorithm access tokens may carry: those of our signing keys, never HS* or none. */
export const ACCESS_TOKEN_ALGORITHMS: readonly string[] = SIGNING_ALGORITHMS;

const VERIFIED_CACHE_MAX = 10_000;

export interface VerifyOptions {
  allowExpired?: boolean;
  anyAudience?: boolean;
}

/**
 * The one verifier of our access tokens — for the resource-server guard (as its
 * AccessTokenAuthenticator), introspection and revocation: RFC 9068 verification against our key
 * store, then revocation. Failures are InvalidTokenError (RFC 6750 §3.1) whatever went wrong, so a
 * token is never accepted on an error path.
 */
@Injectable()
export class AccessTokenVerifier {
  private readonly policy: AccessTokenPolicy;
  /** Live tokens verified before: a token presented again skips the signature check. */
  private readonly verified = new VerifiedTokenCache<VerifiedAccessToken>(VERIFIED_CACHE_MAX);

  constructor(
    private readonly keys: KeysService,
    private readonly revocations: RevocationService,
    @Inject(ConfigService) config: ConfigService<AppConfig, true>,
  ) {
    this.policy = {
      issuer: config.get('ISSUER', { infer: true }),
      audience: config.get('ACCESS_TOKEN_AUDIENCE', { infer: true }),
    };
  }

  /** The key named by `kid`, with the one rule for unknown kids (KeysService.verificationKeyOrReload). */
  private readonly resolveKey: AccessTokenKeyResolver = (kid) => this.keys.verificationKeyOrReload(kid);

  /**
   * A live token of ours, or InvalidTokenError. `allowExpired`: for revocation (RFC 7009), where an
   * expired token of ours still identifies its record; revocation is not checked then either.
   * `anyAudience`: for introspection and revocation, which serve tokens of every API (RFC 8707);
   * otherwise `aud` must contain ACCESS_TOKEN_AUDIENCE (our own resources).
   */
  async verify(
    token: string,
    { allowExpired = false, anyAudience = false }: VerifyOptions = {},
  ): Promise<VerifiedAccessToken> {
    if (!allowExpired) {
      const cached = this.verified.get(token, Date.now());
      if (cached) {
        if (!anyAudience && !audiences(cached.claims).includes(this.policy.audience!))
          throw refused('audience', `aud ${JSON.stringify(cached.claims.aud).slice(0, 200)}`);
        try {
          await this.reconfirm(cached);
        } catch (err) {
          this.verified.delete(token);
          throw err;
        }
        return cached;
      }
    }
    const policy = { ...this.policy, allowExpired, audience: anyAudience ? null : this.policy.audience };
    const verified = await verifyAccessToken(token, this.resolveKey, policy);
    if (!UUID.test(verified.claims.jti)) throw refused('claims', 'jti is not a UUID');
    if (allowExpired) return verified;
    await this.assertNotRevoked(verified.claims.jti);
    this.verified.set(token, verified, verified.claims.exp);
    return verified;
  }

  /** As `verify`, but undefined for anything that is not a live token of ours: callers never say why. */
  async identify(token: string, options: VerifyOptions = {}): Promise<VerifiedAccessToken | undefined> {
    try {
      return await this.verify(token, options);
    } catch (err) {
      if (err instanceof InvalidTokenError) return undefined;
      throw err;
    }
  }

  /** The principal of a live token, or InvalidTokenError. */
  async authenticate(token: string): Promise<Principal> {
    return principalOf(await this.verify(token));
  }

  /**
   * For a token verified earlier: what may have changed since — it was revoked, or its signing key is
   * no longer published (RFC 9068 §4: the key must be the issuer's).
   */
  private async reconfirm({ kid, claims }: VerifiedAccessToken): Promise<void> {
    if (!(await this.resolveKey(kid))) throw refused('key', `key ${kid} is no longer published`);
    await this.assertNotRevoked(claims.jti);
  }

  /**
   * Our signature proves the origin; revocation is the in-memory set (or the database while
   * notifications are down). A database that cannot be asked is not a verdict on the token: that error
   * goes on (503 with Retry-After), it is neither accepted nor called invalid.
   */
  private async assertNotRevoked(jti: string): Promise<void> {
    const revoked = await this.revocations.isRevoked(jti).catch((err: unknown) => {
      throw isDatabaseUnavailable(err) ? err : asInvalidToken(err);
    });
    if (revoked) throw refused('revoked', `jti ${jti}`);
  }
}
