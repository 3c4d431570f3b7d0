import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Emergency revocation of a signing key: status 'revoked' (never published again, never signs), the
 * time it was revoked, and no private part once revoked (a compromised key has no further use here).
 */
export class KeyRevocation1795500300000 implements MigrationInterface {
  name = 'KeyRevocation1795500300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE signing_keys DROP CONSTRAINT signing_keys_status_check`);
    await q.query(
      `ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_status_check CHECK (status IN ('next', 'active', 'retired', 'revoked'))`,
    );
    await q.query(`ALTER TABLE signing_keys ADD COLUMN revoked_at timestamptz`);
    await q.query(`ALTER TABLE signing_keys ALTER COLUMN private_key_enc DROP NOT NULL`);
    await q.query(
      `ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_private_key_check CHECK (status = 'revoked' OR private_key_enc IS NOT NULL)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM signing_keys WHERE status = 'revoked'`);
    await q.query(`ALTER TABLE signing_keys DROP CONSTRAINT signing_keys_private_key_check`);
    await q.query(`ALTER TABLE signing_keys ALTER COLUMN private_key_enc SET NOT NULL`);
    await q.query(`ALTER TABLE signing_keys DROP COLUMN revoked_at`);
    await q.query(`ALTER TABLE signing_keys DROP CONSTRAINT signing_keys_status_check`);
    await q.query(
      `ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_status_check CHECK (status IN ('next', 'active', 'retired'))`,
    );
  }
}
