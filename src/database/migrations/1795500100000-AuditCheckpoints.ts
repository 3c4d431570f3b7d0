import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signed checkpoints of the audit chain (docs/architecture.md, "The audit chain"). Rows written before
 * this version carry unkeyed hashes; the first start with AUDIT_KEY anchors them with the one `legacy`
 * checkpoint (the unique index keeps concurrent starts from recording two).
 */
export class AuditCheckpoints1795500100000 implements MigrationInterface {
  name = 'AuditCheckpoints1795500100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_checkpoints (
        id bigserial PRIMARY KEY,
        event_id bigint NOT NULL,
        event_hash char(64) NOT NULL,
        kind varchar(16) NOT NULL,
        created_at timestamptz NOT NULL,
        signature char(64) NOT NULL
      )`);
    await q.query(`CREATE INDEX audit_checkpoints_event_id ON audit_checkpoints (event_id)`);
    await q.query(
      `CREATE UNIQUE INDEX audit_checkpoints_one_legacy ON audit_checkpoints (kind) WHERE kind = 'legacy'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_checkpoints`);
  }
}
