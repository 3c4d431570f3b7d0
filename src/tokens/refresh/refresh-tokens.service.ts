import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Clock } from '../../platform/clock';
import { keyedHash, randomSecret } from '../../platform/crypto';
import type { RequestMeta } from '../../platform/http/request-meta';
import type { AppConfig } from '../../config/env';
import type { Actor } from '../../audit/actor';
import { RevocationService } from '../revocation.service';
import { RefreshTokenEntity } from './refresh-token.entity';

export interface RefreshFamily {
  familyId: string;
  clientId: string;
  userId: string;
  scopes: string[];
  /** RFC 8707 resources of the grant (empty: the default audience). */
  resources?: string[];
  authTime: Date;
  /** Absolute expiry; set at the code exchange, inherited by every rotation. */
  familyExpiresAt?: Date;
}

export type RotationResult =
  | { ok: true; token: string; family: Required<RefreshFamily>; newHash: Buffer }
  | {
      ok: false;
      reason: 'unknown' | 'other_client' | 'revoked' | 'expired' | 'reused';
      familyId?: string;
      userId?: string;
    };

interface Row {
  family_id: string;
  client_id: string;
  user_id: string;
  scopes: string[];
  resources: string[];
  auth_time: Date;
  family_expires_at: Date;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

/**
 * What revokeGrants ends: every grant of a client, of a user (`subject`), of a user at one client (a
 * revoked consent), or one grant (family / code).
 */
export type GrantTarget =
  { clientId: string } | { subject: string } | { subject: string; clientId: string } | { grantId: string };

/** The refresh-token column each GrantTarget selects on. */
const GRANT_COLUMN = { clientId: 'client_id', subject: 'user_id', grantId: 'family_id' } as const;

/** TypeORM's `query` answers UPDATE … RETURNING with [rows, count] on postgres. */
function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as T[];
}

/**
 * Opaque refresh tokens: 256-bit random, stored as keyed hashes, rotated on every use.
 * Rotation is one conditional UPDATE (`WHERE used_at IS NULL`) plus the insert of the successor in
 * one transaction, so of two concurrent refreshes exactly one wins.
 *
 * Also the one entry point that ends grants (revokeGrants): their refresh tokens here, their access
 * tokens through the RevocationService. Revocation and introspection (RFC 7009, RFC 7662) of refresh
 * tokens are `revoke` and `introspect`.
 */
@Injectable()
export class RefreshTokensService {
  private readonly pepper: string;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly revocations: RevocationService,
    private readonly clock: Clock,
    @Inject(ConfigService) private readonly config: ConfigService<AppConfig, true>,
  ) {
    this.pepper = this.config.get('SECRET_PEPPER', { infer: true });
  }

  hash(token: string): Buffer {
    return keyedHash(this.pepper, token);
  }

  /** A new member of the family (the first one at the code exchange). */
  async issue(family: RefreshFamily, manager?: EntityManager): Promise<{ token: string; hash: Buffer }> {
    const now = this.clock.now();
    const familyExpiresAt =
      family.familyExpiresAt ?? new Date(now + this.config.get('REFRESH_TOKEN_TTL', { infer: true }) * 1000);
    const idle = now + this.config.get('REFRESH_TOKEN_IDLE_TTL', { infer: true }) * 1000;
    const token = randomSecret(32);
    const row: RefreshTokenEntity = {
      tokenHash: this.hash(token),
      familyId: family.familyId,
      clientId: family.clientId,
      userId: family.userId,
      scopes: [...family.scopes].sort(),
      resources: [...(family.resources ?? [])],
      authTime: family.authTime,
      issuedAt: new Date(now),
      expiresAt: new Date(Math.min(idle, familyExpiresAt.getTime())),
      familyExpiresAt,
      usedAt: null,
      revokedAt: null,
      revokedReason: null,
    };
    await (manager ?? this.dataSource.manager).insert(RefreshTokenEntity, row);
    return { token, hash: row.tokenHash };
  }

  /** The family of a live, unused token of this client, without using it (for checks before rotating). */
  async peek(
    token: string,
    clientId: string,
  ): Promise<{ familyId: string; userId: string; scopes: string[]; resources: string[] } | undefined> {
    const [row] = (await this.dataSource.query(
      `SELECT family_id, user_id, scopes, resources FROM refresh_tokens
        WHERE token_hash = $1 AND client_id = $2 AND used_at IS NULL AND revoked_at IS NULL
          AND expires_at > $3 AND family_expires_at > $3`,
      [this.hash(token), clientId, new Date(this.clock.now())],
    )) as { family_id: string; user_id: string; scopes: string[]; resources: string[] }[];
    return row
      ? { familyId: row.family_id, userId: row.user_id, scopes: row.scopes, resources: row.resources }
      : undefined;
  }

  /**
   * Uses a refresh token: marks it used and issues its successor atomically. Only the transaction's
   * manager is used inside the transaction (the embedded database has one session: another pooled
   * query would wait for this transaction forever).
   */
  async rotate(token: string, clientId: string): Promise<RotationResult> {
    const hash = this.hash(token);
    const now = new Date(this.clock.now());
    const rotated = await this.dataSource.transaction(async (m) => {
      const [row] = rowsOf<Row>(
        await m.query(
          `UPDATE refresh_tokens SET used_at = $3
            WHERE token_hash = $1 AND client_id = $2 AND used_at IS NULL AND revoked_at IS NULL
              AND expires_at > $3 AND family_expires_at > $3
            RETURNING family_id, client_id, user_id, scopes, resources, auth_time, family_expires_at`,
          [hash, clientId, now],
        ),
      );
      if (!row) return undefined;
      const family: Required<RefreshFamily> = {
        familyId: row.family_id,
        clientId: row.client_id,
        userId: row.user_id,
        scopes: row.scopes,
        resources: row.resources,
        authTime: new Date(row.auth_time),
        familyExpiresAt: new Date(row.family_expires_at),
      };
      const next = await this.issue(family, m);
      return { ok: true as const, token: next.token, newHash: next.hash, family };
    });
    if (rotated) return rotated;

    const [row] = (await this.dataSource.query(
      `SELECT family_id, client_id, user_id, used_at, revoked_at, expires_at, family_expires_at
         FROM refresh_tokens WHERE token_hash = $1`,
      [hash],
    )) as Row[];
    if (!row) return { ok: false, reason: 'unknown' };
    // Bound to its client: another client's attempt reveals nothing and revokes nothing.
    if (row.client_id !== clientId) return { ok: false, reason: 'other_client' };
    const ids = { familyId: row.family_id, userId: row.user_id };
    if (row.revoked_at) return { ok: false, reason: 'revoked', ...ids };
    if (row.used_at) return { ok: false, reason: 'reused', ...ids };
    return { ok: false, reason: 'expired', ...ids };
  }

  /** Whether a token (by hash) was revoked, e.g. by a concurrent reuse detection. */
  async isRevoked(hash: Buffer): Promise<boolean> {
    const [row] = (await this.dataSource.query(
      'SELECT 1 FROM refresh_tokens WHERE token_hash = $1 AND revoked_at IS NOT NULL',
      [hash],
    )) as unknown[];
    return Boolean(row);
  }

  /**
   * Ends grants — on client disable, user disable or password reset, code replay, refresh-token reuse:
   * their refresh tokens first, so that no family can mint a new access token after the sweep, then
   * their live access tokens through the RevocationService (every instance learns of it at once).
   * Audited once, as `token.revoked`.
   */
  async revokeGrants(
    target: GrantTarget,
    reason: string,
    by: Actor,
    meta?: RequestMeta,
  ): Promise<{ accessTokens: number; refreshTokens: number }> {
    const match = (Object.entries(target) as [keyof typeof GRANT_COLUMN, string][]).map(
      ([key, value], i) => ({
        sql: `${GRANT_COLUMN[key]} = $${i + 3}`,
        value,
      }),
    );
    const result = await this.dataSource.query(
      `UPDATE refresh_tokens SET revoked_at = $1, revoked_reason = $2
        WHERE ${match.map((m) => m.sql).join(' AND ')} AND revoked_at IS NULL RETURNING token_hash`,
      [new Date(this.clock.now()), reason.slice(0, 200), ...match.map((m) => m.value)],
    );
    const refreshTokens = rowsOf(result).length;
    const jtis = await this.revocations.revoke(
      target,
      reason,
      { actor: by.sub, clientId: by.clientId ?? undefined, jti: by.jti ?? undefined },
      meta,
      { refresh_tokens: refreshTokens },
    );
    return { accessTokens: jtis.length, refreshTokens };
  }

  /** RFC 7009 for refresh tokens: the owning client's token revokes its whole family. */
  async revoke(token: string, clientId: string, meta: RequestMeta): Promise<boolean> {
    const [row] = (await this.dataSource.query(
      'SELECT family_id, client_id FROM refresh_tokens WHERE token_hash = $1',
      [this.hash(token)],
    )) as { family_id: string; client_id: string }[];
    if (!row || row.client_id !== clientId) return false;
    await this.revokeGrants(
      { grantId: row.family_id },
      'revoked by client (RFC 7009)',
      { sub: clientId, clientId },
      meta,
    );
    return true;
  }

  /** RFC 7662 for refresh tokens: metadata of a live, unrotated token; undefined otherwise. */
  async introspect(token: string): Promise<Record<string, unknown> | undefined> {
    const [row] = (await this.dataSource.query(
      `SELECT client_id, user_id, scopes, issued_at, LEAST(expires_at, family_expires_at) AS exp
         FROM refresh_tokens
        WHERE token_hash = $1 AND revoked_at IS NULL AND used_at IS NULL
          AND expires_at > $2 AND family_expires_at > $2`,
      [this.hash(token), new Date(this.clock.now())],
    )) as { client_id: string; user_id: string; scopes: string[]; issued_at: Date; exp: Date }[];
    if (!row) return undefined;
    return {
      active: true,
      scope: row.scopes.join(' '),
      client_id: row.client_id,
      sub: row.user_id,
      iss: this.config.get('ISSUER', { infer: true }),
      exp: Math.floor(new Date(row.exp).getTime() / 1000),
      iat: Math.floor(new Date(row.issued_at).getTime() / 1000),
      token_type: 'refresh_token',
    };
  }
}
