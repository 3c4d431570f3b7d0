import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Token lifecycle: access tokens remember the grant (refresh family / authorization code) they came
 * from, so a whole grant can be revoked; every revocation is announced on the `scopegate_revoked`
 * channel by a trigger, whichever code path made it, so every instance learns of it at once.
 */
export class TokenLifecycle1795470000000 implements MigrationInterface {
  name = 'TokenLifecycle1795470000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE tokens ADD COLUMN grant_id uuid`);
    // Per-client signing algorithm override; planned activation of a published-ahead ('next') key.
    await q.query(`ALTER TABLE clients ADD COLUMN signing_alg varchar(16)`);
    await q.query(`ALTER TABLE signing_keys ADD COLUMN activate_at timestamptz`);
    await q.query(`CREATE INDEX audit_events_jti_type ON audit_events (jti, type) WHERE jti IS NOT NULL`);
    await q.query(`CREATE INDEX tokens_grant_id ON tokens (grant_id) WHERE grant_id IS NOT NULL`);
    await q.query(`
      CREATE FUNCTION scopegate_notify_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('scopegate_revoked', NEW.jti::text || ' ' || floor(extract(epoch FROM NEW.expires_at))::bigint::text);
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER tokens_revoked_notify AFTER UPDATE OF revoked_at ON tokens
      FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
      EXECUTE FUNCTION scopegate_notify_revoked()`);
    await q.query(`
      CREATE FUNCTION scopegate_notify_keys() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('scopegate_keys', coalesce(NEW.kid, OLD.kid));
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER signing_keys_notify AFTER INSERT OR UPDATE OR DELETE ON signing_keys
      FOR EACH ROW EXECUTE FUNCTION scopegate_notify_keys()`);

    // Cached clients and the cached scope catalog are invalidated on every instance when they change.
    await q.query(`
      CREATE FUNCTION scopegate_notify_clients() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('scopegate_clients', coalesce(NEW.client_id, OLD.client_id));
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER clients_notify AFTER UPDATE OR DELETE ON clients
      FOR EACH ROW EXECUTE FUNCTION scopegate_notify_clients()`);
    await q.query(`
      CREATE FUNCTION scopegate_notify_catalog() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('scopegate_catalog', TG_TABLE_NAME);
        RETURN NULL;
      END $$`);
    for (const table of ['scopes', 'roles', 'claim_categories']) {
      await q.query(`
        CREATE TRIGGER ${table}_notify AFTER INSERT OR UPDATE OR DELETE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION scopegate_notify_catalog()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['scopes', 'roles', 'claim_categories'])
      await q.query(`DROP TRIGGER ${table}_notify ON ${table}`);
    await q.query(`DROP FUNCTION scopegate_notify_catalog()`);
    await q.query(`DROP TRIGGER clients_notify ON clients`);
    await q.query(`DROP FUNCTION scopegate_notify_clients()`);
    await q.query(`DROP TRIGGER signing_keys_notify ON signing_keys`);
    await q.query(`DROP FUNCTION scopegate_notify_keys()`);
    await q.query(`DROP TRIGGER tokens_revoked_notify ON tokens`);
    await q.query(`DROP FUNCTION scopegate_notify_revoked()`);
    await q.query(`DROP INDEX audit_events_jti_type`);
    await q.query(`ALTER TABLE signing_keys DROP COLUMN activate_at`);
    await q.query(`ALTER TABLE clients DROP COLUMN signing_alg`);
    await q.query(`ALTER TABLE tokens DROP COLUMN grant_id`);
  }
}
