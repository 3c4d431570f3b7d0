import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * audit_events.event_key: an id given to an event before it may be retried or spooled to disk
 * (API-call events, docs/architecture.md "When the database is away"), so that an event written twice —
 * replayed from the spool after its first write did commit — is appended once. Unique where present.
 */
export class AuditEventKey1795500200000 implements MigrationInterface {
  name = 'AuditEventKey1795500200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "audit_events" ADD "event_key" uuid`);
    await q.query(
      `CREATE UNIQUE INDEX "audit_events_event_key" ON "audit_events" ("event_key") WHERE event_key IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "audit_events_event_key"`);
    await q.query(`ALTER TABLE "audit_events" DROP COLUMN "event_key"`);
  }
}
