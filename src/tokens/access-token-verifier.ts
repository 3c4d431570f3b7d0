import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { decodeProtectedHeader, type JWTPayload } from 'jose';
import type { AppConfig } from '../config/env';
import { JwsService } from '../keys/jws.service';
import { KeysService } from '../keys/keys.service';
import { RevocationService } from './revocation.service';

export interface VerifiedAccessToken {
  claims: JWTPayload & {
    jti: string;
    client_id: string;
    scope: string;
    sub: string;
    exp: number;
    iat: number;
  };
}

/**
 * Full verification of one of our access tokens outside the request guard (introspection,
 * revocation): typ, kid, exact algorithm, signature, iss, aud, exp, revocation.
 * Returns undefined for anything that is not a live token of ours — callers never say why.
 */
@Injectable()
export class AccessTokenVerifier {
  constructor(
    private readonly keys: KeysService,
    private readonly jws: JwsService,
    private readonly revocations: RevocationService,
    @Inject(ConfigService) private readonly config: ConfigService<AppConfig, true>,
  ) {}

  /** `allowExpired`: for revocation, where an expired token of ours still identifies its record. */
  async verify(token: string, { allowExpired = false } = {}): Promise<VerifiedAccessToken | undefined> {
    if (token.length > 8192 || token.split('.').length !== 3) return undefined;
    try {
      const header = decodeProtectedHeader(token);
      const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : '';
      if ((typ !== 'at+jwt' && typ !== 'application/at+jwt') || header.crit !== undefined) return undefined;
      if (typeof header.kid !== 'string') return undefined;
      const key = await this.keys.verificationKeyOrReload(header.kid);
      if (!key || key.alg !== header.alg) return undefined;
      const claims = (await this.jws.verify(token, key, {
        issuer: this.config.get('ISSUER', { infer: true }),
        audience: this.config.get('ACCESS_TOKEN_AUDIENCE', { infer: true }),
        clockTolerance: 5,
        ignoreExpiration: allowExpired,
      })) as VerifiedAccessToken['claims'];
      if (typeof claims.jti !== 'string' || !/^[0-9a-f-]{36}$/i.test(claims.jti)) return undefined;
      // Our signature proves the origin; revocation is the in-memory set (or the database while
      // notifications are down), so no query is needed per token.
      if (!allowExpired && (await this.revocations.isRevoked(claims.jti))) return undefined;
      return { claims };
    } catch {
      return undefined;
    }
  }
}
