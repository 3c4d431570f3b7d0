import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { UUID } from '../platform/uuid';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { In, Repository } from 'typeorm';
import { AuditService, type AuditEventInput } from '../audit/audit.service';
import { Clock } from '../platform/clock';
import type { RequestMeta } from '../platform/http/request-meta';
import type { AppConfig, SigningAlgorithm } from '../config/env';
import { JwsService } from '../keys/jws.service';
import { KeysService } from '../keys/keys.service';
import { formatScope } from '../protocol/scope-syntax';
import { TokenEntity } from './token.entity';

/** The settings of the client that shape its access tokens (plain values; a client record fits). */
export interface TokenClient {
  clientId: string;
  /** Overrides ACCESS_TOKEN_TTL. */
  accessTokenTtl?: number | null;
  /** Overrides SIGNING_ALG. */
  signingAlg?: string | null;
}

export interface AccessTokenRequest {
  client: TokenClient;
  /** Client id for client credentials, user id otherwise. */
  subject: string;
  scopes: string[];
  grantType: string;
  meta: RequestMeta;
  /** Events to commit with `token.issued` (e.g. the client authentication). */
  events?: AuditEventInput[];
  /** The grant (refresh family / authorization code) this token belongs to, for revoking it as a whole. */
  grantId?: string;
  /** `aud` (RFC 8707 resources); ACCESS_TOKEN_AUDIENCE when absent. */
  audience?: readonly string[];
}

export interface IssuedAccessToken {
  accessToken: string;
  jti: string;
  expiresIn: number;
  scope: string;
}

/** A `tokens` row as the JSON that INSERT_TOKEN_RECORDS reads: column names as keys. */
interface TokenRecordRow {
  jti: string;
  client_id: string;
  subject: string;
  scopes: string[];
  audience: string[];
  grant_type: string;
  kid: string;
  issued_at: string;
  expires_at: string;
  revoked_at: null;
  revoked_reason: null;
  grant_id: string | null;
  request_id: string;
}

const TOKEN_RECORD_COLUMNS = [
  'jti',
  'client_id',
  'subject',
  'scopes',
  'audience',
  'grant_type',
  'kid',
  'issued_at',
  'expires_at',
  'revoked_at',
  'revoked_reason',
  'grant_id',
  'request_id',
] as const satisfies readonly (keyof TokenRecordRow)[];

const TOKEN_RECORD_LIST = TOKEN_RECORD_COLUMNS.join(', ');

/**
 * The one INSERT into `tokens`: the audit writer runs it, with the records of every token of a batch,
 * in the statement that commits their `token.issued` events (CommittedWith, docs/architecture.md).
 */
function insertTokenRecords(rowsParam: string): string {
  return `INSERT INTO tokens (${TOKEN_RECORD_LIST}) SELECT ${TOKEN_RECORD_LIST} FROM json_populate_recordset(NULL::tokens, ${rowsParam})`;
}

/**
 * Issues RFC 9068 JWT access tokens. The token's record and its `token.issued` audit event are
 * committed together (one group-committed statement) before the token is handed out.
 */
@Injectable()
export class TokensService {
  constructor(
    @InjectRepository(TokenEntity) private readonly tokens: Repository<TokenEntity>,
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
    const audience = req.audience?.length
      ? [...req.audience]
      : [this.config.get('ACCESS_TOKEN_AUDIENCE', { infer: true })];
    const key = this.keys.signingKey((req.client.signingAlg as SigningAlgorithm | null) ?? undefined);
    // RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti; scope per §2.2.3; txn = request id.
    const claims = {
      iss: this.config.get('ISSUER', { infer: true }),
      sub: req.subject,
      aud: audience.length === 1 ? audience[0] : audience,
      exp: iat + ttl,
      iat,
      jti,
      client_id: req.client.clientId,
      scope,
      txn: req.meta.requestId,
    };
    const accessToken = await this.jws.sign(claims, key, 'at+jwt');
    const record: TokenRecordRow = {
      jti,
      client_id: req.client.clientId,
      subject: req.subject,
      scopes: [...req.scopes].sort(),
      audience,
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
          details: {
            grant_type: req.grantType,
            scope,
            expires_in: ttl,
            kid: key.kid,
            alg: key.alg,
            ...(req.audience?.length ? { audience } : {}),
          },
          meta: req.meta,
        },
      ],
      [{ sql: insertTokenRecords, rows: [record] }],
    );
    return { accessToken, jti, expiresIn: ttl, scope };
  }

  /** The records of the given access tokens that exist (ids that are not UUIDs are skipped). */
  async records(jtis: readonly string[]): Promise<Map<string, TokenEntity>> {
    const ids = [...new Set(jtis.filter((j) => UUID.test(j)))];
    const rows = ids.length ? await this.tokens.findBy({ jti: In(ids) }) : [];
    return new Map(rows.map((r) => [r.jti, r]));
  }

  /** The record of an issued access token; 404 when there is none. */
  async record(jti: string): Promise<TokenEntity> {
    const record = UUID.test(jti) ? await this.tokens.findOneBy({ jti }) : null;
    if (!record) throw new NotFoundException(`token ${jti.slice(0, 64)} not found`);
    return record;
  }
}
