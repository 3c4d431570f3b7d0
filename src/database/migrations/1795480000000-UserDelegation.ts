import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * User-delegated access: users (argon2id passwords, roles), remembered consents, authorization codes
 * and refresh tokens. Codes and refresh tokens are stored only as keyed hashes; both carry the grant
 * id that their access tokens record in `tokens.grant_id`, so a replay revokes the whole grant.
 */
export class UserDelegation1795480000000 implements MigrationInterface {
  name = 'UserDelegation1795480000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        username varchar(64) NOT NULL,
        password_hash text NOT NULL,
        name varchar(200) NOT NULL DEFAULT '',
        email varchar(320),
        roles text[] NOT NULL DEFAULT '{}',
        status varchar(16) NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        password_changed_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Usernames are unique regardless of case.
    await q.query(`CREATE UNIQUE INDEX users_username_ci ON users (lower(username))`);
    await q.query(`
      CREATE TABLE consents (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        client_id varchar(128) NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
        scopes text[] NOT NULL,
        granted_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, client_id)
      )`);
    await q.query(`
      CREATE TABLE authorization_codes (
        code_hash bytea PRIMARY KEY,
        grant_id uuid NOT NULL,
        client_id varchar(128) NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        redirect_uri text NOT NULL,
        redirect_uri_explicit boolean NOT NULL,
        scopes text[] NOT NULL,
        code_challenge varchar(128),
        code_challenge_method varchar(8),
        nonce varchar(512),
        auth_time timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        replayed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX authorization_codes_expires ON authorization_codes (expires_at)`);
    await q.query(`
      CREATE TABLE refresh_tokens (
        token_hash bytea PRIMARY KEY,
        family_id uuid NOT NULL,
        client_id varchar(128) NOT NULL REFERENCES clients(client_id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        scopes text[] NOT NULL,
        auth_time timestamptz NOT NULL,
        issued_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        family_expires_at timestamptz NOT NULL,
        used_at timestamptz,
        revoked_at timestamptz,
        revoked_reason varchar(200)
      )`);
    await q.query(`CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id)`);
    // POST /auth finds a client by its API key alone.
    await q.query(
      `CREATE INDEX clients_api_key_hash ON clients (api_key_hash) WHERE api_key_hash IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX clients_api_key_hash`);
    await q.query(`DROP TABLE refresh_tokens`);
    await q.query(`DROP TABLE authorization_codes`);
    await q.query(`DROP TABLE consents`);
    await q.query(`DROP TABLE users`);
  }
}
