import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHash } from 'node:crypto';
import type { ClientEntity } from '../../clients/client.entity';
import { Clock } from '../../platform/clock';
import type { AppConfig } from '../../config/env';
import { JwsService } from '../../keys/jws.service';
import { KeysService } from '../../keys/keys.service';

export interface IdTokenInput {
  client: ClientEntity;
  subject: string;
  authTime: Date;
  nonce?: string;
  accessToken: string;
}

/** OIDC Core §3.1.3.6: at_hash is the left half of the hash (of the signing alg's size) of the access token. */
export function atHash(accessToken: string, alg: string): string {
  const bits = alg === 'EdDSA' ? '512' : alg.slice(-3);
  const algorithm = { '256': 'sha256', '384': 'sha384', '512': 'sha512' }[bits] ?? 'sha256';
  const digest = createHash(algorithm).update(accessToken, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/** OIDC Core §2 ID tokens, signed with the same keys as the access tokens (published in the JWKS). */
@Injectable()
export class IdTokenService {
  constructor(
    private readonly keys: KeysService,
    private readonly jws: JwsService,
    private readonly clock: Clock,
    @Inject(ConfigService) private readonly config: ConfigService<AppConfig, true>,
  ) {}

  async sign(input: IdTokenInput): Promise<string> {
    const key = this.keys.signingKey();
    const iat = this.clock.nowSeconds();
    const ttl = input.client.accessTokenTtl ?? this.config.get('ACCESS_TOKEN_TTL', { infer: true });
    const claims = {
      auth_time: Math.floor(input.authTime.getTime() / 1000),
      ...(input.nonce !== undefined ? { nonce: input.nonce } : {}),
      at_hash: atHash(input.accessToken, key.alg),
      iss: this.config.get('ISSUER', { infer: true }),
      sub: input.subject,
      aud: input.client.clientId,
      iat,
      exp: iat + ttl,
    };
    return this.jws.sign(claims, key, 'JWT');
  }
}
