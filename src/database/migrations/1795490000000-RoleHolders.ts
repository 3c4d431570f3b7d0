import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A role cannot be deleted while a user holds it, as clients.role → roles (ON DELETE RESTRICT) already
 * ensures for clients. users.roles is a text[], which a foreign key cannot reference, so two triggers
 * stand in for one, raising the same SQLSTATE (23503) with TABLE users:
 * - on users INSERT / UPDATE OF roles: every role must exist, and the role rows are locked FOR KEY
 *   SHARE (as a foreign key check does) so that no concurrent DELETE can remove them before commit;
 * - on roles DELETE / UPDATE OF name: refused while any user holds the role. A DELETE locks the role
 *   row before the trigger runs, so it waits for any uncommitted assignment and then sees it.
 * Names that users hold of roles deleted before this migration are dropped first: a re-created role of
 * the same name must not grant its scopes to them.
 */
export class RoleHolders1795490000000 implements MigrationInterface {
  name = 'RoleHolders1795490000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE users SET roles = ARRAY(
        SELECT r FROM unnest(roles) WITH ORDINALITY AS held(r, i)
         WHERE EXISTS (SELECT 1 FROM roles WHERE name = held.r) ORDER BY i)
       WHERE NOT roles <@ ARRAY(SELECT name::text FROM roles)`);
    await q.query(`
      CREATE FUNCTION scopegate_user_roles_exist() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        missing text;
      BEGIN
        -- Held roles cannot be deleted until this transaction ends; a NULL element is never a role.
        PERFORM 1 FROM roles WHERE name = ANY (NEW.roles) FOR KEY SHARE;
        SELECT r INTO missing FROM unnest(NEW.roles) AS r
         WHERE r IS NULL OR NOT EXISTS (SELECT 1 FROM roles WHERE name = r)
         LIMIT 1;
        IF FOUND THEN
          RAISE EXCEPTION 'role % does not exist', coalesce(missing, 'NULL')
            USING ERRCODE = 'foreign_key_violation', TABLE = 'users', COLUMN = 'roles';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER users_roles_exist BEFORE INSERT OR UPDATE OF roles ON users
      FOR EACH ROW EXECUTE FUNCTION scopegate_user_roles_exist()`);
    await q.query(`
      CREATE FUNCTION scopegate_role_not_held() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' AND NEW.name = OLD.name THEN
          RETURN NEW;
        END IF;
        IF EXISTS (SELECT 1 FROM users WHERE OLD.name = ANY (roles)) THEN
          RAISE EXCEPTION 'role % is held by a user', OLD.name
            USING ERRCODE = 'foreign_key_violation', TABLE = 'users', COLUMN = 'roles';
        END IF;
        RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
      END $$`);
    await q.query(`
      CREATE TRIGGER roles_not_held BEFORE DELETE OR UPDATE OF name ON roles
      FOR EACH ROW EXECUTE FUNCTION scopegate_role_not_held()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER roles_not_held ON roles`);
    await q.query(`DROP FUNCTION scopegate_role_not_held()`);
    await q.query(`DROP TRIGGER users_roles_exist ON users`);
    await q.query(`DROP FUNCTION scopegate_user_roles_exist()`);
  }
}
