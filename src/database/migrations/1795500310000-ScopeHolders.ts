import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The tables whose `scopes` text[] column names scopes of the catalog. */
const HOLDERS = ['clients', 'roles', 'consents'] as const;

/**
 * A scope cannot be deleted (or renamed) while a client, a role or a user's remembered consent names
 * it, as RoleHolders does for roles: text[] columns cannot carry a foreign key, so triggers stand in,
 * raising SQLSTATE 23503 like one:
 * - on clients / roles / consents INSERT or UPDATE OF scopes: every scope must exist, and the scope
 *   rows are locked FOR KEY SHARE so that no concurrent DELETE removes them before commit;
 * - on scopes DELETE / UPDATE OF name: refused while anything names the scope; the message names the
 *   roles and clients (and counts the users whose consent it is). A DELETE locks the scope row before
 *   the trigger runs, so it waits for an uncommitted assignment and then sees it.
 * Scopes deleted before this migration are dropped from roles, consents and role-less clients first, so
 * a re-created scope of the same name grants nothing to them. A client with a role whose own list would
 * become empty keeps its stale names: empty would mean "all of the role", and the stale names, no
 * longer in any role, grant nothing.
 */
export class ScopeHolders1795500310000 implements MigrationInterface {
  name = 'ScopeHolders1795500310000';

  async up(q: QueryRunner): Promise<void> {
    const known = `ARRAY(SELECT name::text FROM scopes)`;
    const kept = `ARRAY(SELECT s FROM unnest(scopes) WITH ORDINALITY AS held(s, i)
                         WHERE EXISTS (SELECT 1 FROM scopes WHERE name = held.s) ORDER BY i)`;
    await q.query(`UPDATE roles SET scopes = ${kept} WHERE NOT scopes <@ ${known}`);
    await q.query(`UPDATE consents SET scopes = ${kept} WHERE NOT scopes <@ ${known}`);
    await q.query(`DELETE FROM consents WHERE scopes = '{}'`);
    await q.query(
      `UPDATE clients SET scopes = ${kept} WHERE NOT scopes <@ ${known} AND (role IS NULL OR cardinality(${kept}) > 0)`,
    );
    await q.query(`
      CREATE FUNCTION scopegate_scopes_exist() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        missing text;
      BEGIN
        -- Named scopes cannot be deleted until this transaction ends; a NULL element is never a scope.
        PERFORM 1 FROM scopes WHERE name = ANY (NEW.scopes) FOR KEY SHARE;
        SELECT s INTO missing FROM unnest(NEW.scopes) AS s
         WHERE s IS NULL OR NOT EXISTS (SELECT 1 FROM scopes WHERE name = s)
         LIMIT 1;
        IF FOUND THEN
          RAISE EXCEPTION 'scope % does not exist', coalesce(missing, 'NULL')
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, COLUMN = 'scopes';
        END IF;
        RETURN NEW;
      END $$`);
    for (const table of HOLDERS) {
      await q.query(`
        CREATE TRIGGER ${table}_scopes_exist BEFORE INSERT OR UPDATE OF scopes ON ${table}
        FOR EACH ROW EXECUTE FUNCTION scopegate_scopes_exist()`);
    }
    await q.query(`
      CREATE FUNCTION scopegate_scope_not_held() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        by_roles text;
        by_clients text;
        by_users bigint;
      BEGIN
        IF TG_OP = 'UPDATE' AND NEW.name = OLD.name THEN
          RETURN NEW;
        END IF;
        SELECT string_agg(name, ', ' ORDER BY name) INTO by_roles FROM roles WHERE OLD.name = ANY (scopes);
        SELECT string_agg(client_id, ', ' ORDER BY client_id) INTO by_clients
          FROM (SELECT client_id FROM clients WHERE OLD.name = ANY (scopes) ORDER BY client_id LIMIT 20) c;
        SELECT count(DISTINCT user_id) INTO by_users FROM consents WHERE OLD.name = ANY (scopes);
        IF by_roles IS NOT NULL OR by_clients IS NOT NULL OR by_users > 0 THEN
          RAISE EXCEPTION 'scope % is used by %', OLD.name, concat_ws('; ',
              'role(s) ' || by_roles,
              'client(s) ' || by_clients,
              CASE WHEN by_users > 0 THEN 'the consent(s) of ' || by_users || ' user(s)' END)
            USING ERRCODE = 'foreign_key_violation', TABLE = 'scopes', CONSTRAINT = 'scopes_in_use';
        END IF;
        RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
      END $$`);
    await q.query(`
      CREATE TRIGGER scopes_not_held BEFORE DELETE OR UPDATE OF name ON scopes
      FOR EACH ROW EXECUTE FUNCTION scopegate_scope_not_held()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER scopes_not_held ON scopes`);
    await q.query(`DROP FUNCTION scopegate_scope_not_held()`);
    for (const table of HOLDERS) await q.query(`DROP TRIGGER ${table}_scopes_exist ON ${table}`);
    await q.query(`DROP FUNCTION scopegate_scopes_exist()`);
  }
}
