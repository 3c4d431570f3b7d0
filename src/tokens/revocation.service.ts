import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MetricsService } from '../platform/metrics/metrics.service';
import { AuditService } from '../audit/audit.service';
import type { RequestMeta } from '../platform/http/request-meta';
import { NotificationsService } from '../platform/db/notifications.service';

const REVOKED_CHANNEL = 'scopegate_revoked';

/** Which tokens to revoke: one token, a whole grant (refresh family / code), or all of a client's. */
export type RevocationTarget =
  | { jti: string }
  | { grantId: string }
  | { clientId: string }
  | { subject: string }
  | { subject: string; clientId: string };

/** A revoked access token: its id and expiry (seconds since the epoch). */
export interface RevokedToken {
  jti: string;
  exp: number;
}

export interface Revoker {
  actor: string;
  clientId?: string;
  jti?: string;
}

/** How often every instance re-reads the revoked set anyway, in case a notification was lost. */
const CATCH_UP_MS = 30_000;

/**
 * Revocation that takes effect at once on every instance without a query per request:
 * each instance holds the set of revoked, unexpired jtis in memory, loaded at start and kept current
 * by the `scopegate_revoked` notifications that a trigger on `tokens` sends for every revocation,
 * whatever code path made it. After a lost listener connection it reloads the set (catch-up), and
 * while the connection is down it asks the database per request instead of trusting a stale set.
 */
@Injectable()
export class RevocationService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RevocationService.name);
  /** jti → expiry (ms); entries drop once expired, when the token is dead anyway. */
  private revoked = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly notifications: NotificationsService,
    private readonly audit: AuditService,
    metrics: MetricsService,
  ) {
    metrics.gauge(
      'scopegate_revoked_tokens_in_memory',
      'Revoked, unexpired access tokens held in the in-memory revocation set',
      () => this.revoked.size,
    );
    this.notifications.on(REVOKED_CHANNEL, (payload) => {
      const [jti, exp] = payload.split(' ');
      if (jti && exp) this.add(jti, Number(exp) * 1000);
    });
    this.notifications.onReconnect(() => this.reload());
  }

  async onModuleInit(): Promise<void> {
    await this.reload();
    this.timer = setInterval(
      () => void this.reload().catch((e: Error) => this.logger.warn(`catch-up failed: ${e.message}`)),
      CATCH_UP_MS,
    );
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Whether a token is revoked: from memory while notifications flow, from the database otherwise. */
  async isRevoked(jti: string): Promise<boolean> {
    const exp = this.revoked.get(jti);
    if (exp !== undefined) return true;
    if (!this.notifications.enabled || this.notifications.connected) return false;
    const [row] = (await this.dataSource.query(
      'SELECT 1 FROM tokens WHERE jti = $1 AND revoked_at IS NOT NULL',
      [jti],
    )) as unknown[];
    return Boolean(row);
  }

  /**
   * Marks matching live tokens revoked, updates this instance at once (others hear the trigger's
   * notification), and audits who revoked what and why (`details` adds to the event). Returns the
   * revoked jtis. Whole grants are revoked through RefreshTokensService.revokeGrants, which calls this.
   */
  async revoke(
    target: RevocationTarget,
    reason: string,
    by: Revoker,
    meta?: RequestMeta,
    details: Record<string, unknown> = {},
  ): Promise<string[]> {
    const entries = Object.entries(target) as [string, string][];
    const columns = { jti: 'jti', grantId: 'grant_id', clientId: 'client_id', subject: 'subject' };
    const where = entries.map(([key], i) => {
      const col = columns[key as keyof typeof columns];
      if (!col) throw new Error(`unknown revocation target ${key}`);
      return `${col} = $${i + 2}`;
    });
    const column = entries.map(([key]) => key).join('+');
    const rows = (await this.dataSource.query(
      `UPDATE tokens SET revoked_at = now(), revoked_reason = $1
        WHERE ${where.join(' AND ')} AND revoked_at IS NULL AND expires_at > now()
        RETURNING jti, expires_at`,
      [reason.slice(0, 200), ...entries.map(([, value]) => value)],
    )) as [{ jti: string; expires_at: Date }[], number] | { jti: string; expires_at: Date }[];
    const list = Array.isArray(rows[0])
      ? (rows[0] as { jti: string; expires_at: Date }[])
      : (rows as { jti: string; expires_at: Date }[]);
    for (const r of list) this.add(r.jti, new Date(r.expires_at).getTime());
    await this.audit.record({
      type: 'token.revoked',
      outcome: 'success',
      actor: by.actor,
      clientId: by.clientId ?? null,
      jti: 'jti' in target ? target.jti : (by.jti ?? null),
      subject: 'subject' in target ? target.subject : 'clientId' in target ? target.clientId : null,
      details: {
        target: column,
        reason,
        count: list.length,
        jtis: list.slice(0, 50).map((r) => r.jti),
        ...details,
      },
      meta,
    });
    return list.map((r) => r.jti);
  }

  /** Replaces the in-memory set with the database's revoked, unexpired tokens. */
  async reload(): Promise<void> {
    const rows = (await this.dataSource.query(
      'SELECT jti, expires_at FROM tokens WHERE revoked_at IS NOT NULL AND expires_at > now()',
    )) as { jti: string; expires_at: Date }[];
    const now = Date.now();
    const next = new Map<string, number>();
    for (const r of rows) next.set(r.jti, new Date(r.expires_at).getTime());
    // Keep entries learnt from notifications after the query started.
    for (const [jti, exp] of this.revoked) if (exp > now && !next.has(jti)) next.set(jti, exp);
    const learnt = [...next].filter(([jti]) => !this.revoked.has(jti));
    this.revoked = next;
    for (const [jti, exp] of learnt) this.emit(jti, exp);
  }

  /**
   * Revoked, unexpired tokens from the database, oldest revocation first: all of them, or those revoked
   * at or after `since` (a resumed revocation feed).
   */
  async revokedSince(since?: Date): Promise<{ tokens: RevokedToken[]; asOf: Date }> {
    // The database's clock before the read: every revocation committed earlier is in the answer.
    const [{ t }] = (await this.dataSource.query('SELECT clock_timestamp() AS t')) as { t: Date }[];
    const rows = (await this.dataSource.query(
      `SELECT jti, floor(extract(epoch FROM expires_at))::bigint AS exp FROM tokens
        WHERE revoked_at IS NOT NULL AND expires_at > now() AND ($1::timestamptz IS NULL OR revoked_at >= $1)
        ORDER BY revoked_at`,
      [since ?? null],
    )) as { jti: string; exp: string }[];
    return { tokens: rows.map((r) => ({ jti: r.jti, exp: Number(r.exp) })), asOf: new Date(t) };
  }

  /** Calls `listener` for every revocation this instance learns of (its own and others'); returns the unsubscribe. */
  onRevoked(listener: (token: RevokedToken) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private readonly listeners = new Set<(token: RevokedToken) => void>();

  private add(jti: string, expMs: number): void {
    const known = this.revoked.has(jti);
    this.revoked.set(jti, expMs);
    if (!known) this.emit(jti, expMs);
  }

  private emit(jti: string, expMs: number): void {
    for (const listener of this.listeners) listener({ jti, exp: Math.floor(expMs / 1000) });
  }
}
