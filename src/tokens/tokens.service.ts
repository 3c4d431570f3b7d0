import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomUUID } from 'node:crypto';
import { AuditService, type AuditEventInput } from '../audit/audit.service';
import type { ClientEntity } from '../clients/client.entity';
import { Clock } from '../platform/clock';
import type { RequestMeta } from '../platform/http/request-meta';
import type { AppConfig, SigningAlgorithm } from '../config/env';
import { JwsService } from '../keys/jws.service';
import { KeysService } from '../keys/keys.service';
import { formatScope } from '../protocol/scope-syntax';

export interface AccessTokenRequest {
  client: ClientEntity;
  /** Client id for client credentials, user id otherwise. */
  subject: string;
  scopes: string[];
  grantType: string;
  meta: RequestMeta;
  /** Events to commit with `token.issued` (e.g. the client authentication). */
  events?: AuditEventInput[];
  /** The grant (refresh family / authorization code) this token belongs to, for revoking it as a whole. */
  grantId?: string;
}

export interface IssuedAccessToken {
  accessToken: string;
  jti: string;
  expiresIn: number;
  scope: string;
}

/**
 * Issues RFC 9068 JWT access tokens. The token's record and its `token.issued` audit event are
 * committed together (one group-committed transaction) before the token is handed out.
 */
@Injectable()
export class TokensService {
  constructor(
    private readonly jws: JwsService,
    private readonly keys: KeysService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    @Inject(ConfigService) private readonly config: ConfigService<AppConfig, true>,
  ) {}

  async issueAccessToken(req: AccessTokenRequest): Promise<IssuedAccessToken> {
    const ttl = req.client.accessTokenTtl ?? this.config.get('ACCESS_TOKEN_TTL', { infer: true });
    const iat = this.clock.nowSeconds();
    const jti = randomUUID();
    const scope = formatScope(req.scopes);
    const audience = this.config.get('ACCESS_TOKEN_AUDIENCE', { infer: true });
    const key = this.keys.signingKey((req.client.signingAlg as SigningAlgorithm | null) ?? undefined);
    // RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti; scope per §2.2.3; txn = request id.
    const claims = {
      iss: this.config.get('ISSUER', { infer: true }),
      sub: req.subject,
      aud: audience,
      exp: iat + ttl,
      iat,
      jti,
      client_id: req.client.clientId,
      scope,
      txn: req.meta.requestId,
    };
    const accessToken = await this.jws.sign(claims, key, 'at+jwt');
    const scopes = [...req.scopes].sort();
    const record = {
      jti,
      client_id: req.client.clientId,
      subject: req.subject,
      scopes,
      audience: [audience],
      grant_type: req.grantType,
      kid: key.kid,
      issued_at: new Date(iat * 1000).toISOString(),
      expires_at: new Date((iat + ttl) * 1000).toISOString(),
      revoked_at: null,
      revoked_reason: null,
      grant_id: req.grantId ?? null,
      request_id: req.meta.requestId,
    };
    await this.audit.commit(
      [
        ...(req.events ?? []),
        {
          type: 'token.issued',
          outcome: 'success',
          actor: req.client.clientId,
          subject: req.subject,
          clientId: req.client.clientId,
          jti,
          details: { grant_type: req.grantType, scope, expires_in: ttl, kid: key.kid, alg: key.alg },
          meta: req.meta,
        },
      ],
      [{ table: 'tokens', rows: [record] }],
    );
    return { accessToken, jti, expiresIn: ttl, scope };
  }
}
