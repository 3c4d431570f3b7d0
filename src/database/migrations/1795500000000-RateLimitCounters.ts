import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rate-limit counters shared by every instance (failed sign-ins, failed client authentications,
 * aggregated audit of failures): one row per key, counting in a fixed window that ends at expires_at.
 * Unlogged would be faster but is not replicated; the rows are small and short-lived, so logged.
 */
export class RateLimitCounters1795500000000 implements MigrationInterface {
  name = 'RateLimitCounters1795500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE rate_limit_counters (
        key text PRIMARY KEY,
        count integer NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await q.query('CREATE INDEX rate_limit_counters_expires_at ON rate_limit_counters (expires_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE rate_limit_counters');
  }
}
