import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { CounterStore, WindowCount } from './counter-store';

const PRUNE_EVERY_MS = 60_000;

interface Row {
  key: string;
  count: number;
  reset_in_ms: number;
}

/**
 * {@link CounterStore} in the `rate_limit_counters` table (the table's one owner). An increment is one
 * `INSERT … ON CONFLICT DO UPDATE … RETURNING`: the row lock serialises concurrent increments of a
 * key on every instance, and the database clock (`now()`) decides when windows end. Keys are written
 * in sorted order so that two statements never wait for each other's rows (no deadlock). Expired rows
 * are deleted every minute.
 */
@Injectable()
export class PostgresCounterStore implements CounterStore, OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger(PostgresCounterStore.name);
  private timer?: NodeJS.Timeout;

  constructor(private readonly db: DataSource) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.prune().catch((err: Error) => this.log.warn(`pruning rate-limit counters failed: ${err.message}`));
    }, PRUNE_EVERY_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async increment(keys: readonly string[], windowMs: number): Promise<WindowCount[]> {
    if (keys.length === 0) return [];
    const rows: Row[] = await this.db.query(
      `INSERT INTO rate_limit_counters AS c (key, count, expires_at)
       SELECT k, 1, now() + make_interval(secs => $2::float8 / 1000)
         FROM (SELECT DISTINCT k FROM unnest($1::text[]) AS k ORDER BY k) AS keys
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN c.expires_at <= now() THEN 1 ELSE c.count + 1 END,
         expires_at = CASE WHEN c.expires_at <= now() THEN EXCLUDED.expires_at ELSE c.expires_at END
       RETURNING key, count, greatest(0, extract(epoch FROM c.expires_at - now()) * 1000)::float8 AS reset_in_ms`,
      [keys, windowMs],
    );
    return this.inOrder(keys, rows);
  }

  async decrement(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db.query(
      `UPDATE rate_limit_counters SET count = count - 1
        WHERE key IN (SELECT k FROM unnest($1::text[]) AS k ORDER BY k) AND count > 0 AND expires_at > now()`,
      [keys],
    );
  }

  async peek(keys: readonly string[]): Promise<WindowCount[]> {
    if (keys.length === 0) return [];
    const rows: Row[] = await this.db.query(
      `SELECT key, count, (extract(epoch FROM expires_at - now()) * 1000)::float8 AS reset_in_ms
         FROM rate_limit_counters WHERE key = ANY($1::text[]) AND expires_at > now()`,
      [keys],
    );
    return this.inOrder(keys, rows);
  }

  async take(key: string): Promise<number> {
    // TypeORM answers a DELETE with [rows, affected].
    const [rows] = (await this.db.query(
      `DELETE FROM rate_limit_counters WHERE key = $1 RETURNING count, expires_at > now() AS live`,
      [key],
    )) as [{ count: number; live: boolean }[], number];
    const row = rows[0];
    return row?.live ? row.count : 0;
  }

  /** Deletes the counters whose window has ended. */
  async prune(): Promise<number> {
    const [, affected] = (await this.db.query(
      'DELETE FROM rate_limit_counters WHERE expires_at <= now()',
    )) as [unknown, number];
    return affected;
  }

  private inOrder(keys: readonly string[], rows: Row[]): WindowCount[] {
    const byKey = new Map(rows.map((r) => [r.key, r]));
    return keys.map((k) => {
      const r = byKey.get(k);
      return r
        ? { count: Number(r.count), resetInMs: Math.ceil(Number(r.reset_in_ms)) }
        : { count: 0, resetInMs: 0 };
    });
  }
}
