import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * APIs (RFC 8707 resource servers) with their scopes and serving clients; the fields a claim category
 * covers; the usage batches resource servers have reported (a retried batch is recorded once); the resources an authorization code or refresh token was granted for; and the built-in
 * scope and role of resource servers, present in every installation.
 */
export class ApisAndAudiences1795500400000 implements MigrationInterface {
  name = 'ApisAndAudiences1795500400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE claim_categories ADD fields text[] NOT NULL DEFAULT '{}'`);
    await q.query(`
      CREATE TABLE apis (
        id uuid PRIMARY KEY,
        identifier varchar(2048) NOT NULL,
        name varchar(200) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX apis_identifier_key ON apis (identifier)`);
    await q.query(`
      CREATE TABLE api_scopes (
        api_id uuid NOT NULL,
        scope varchar(64) NOT NULL,
        PRIMARY KEY (api_id, scope),
        CONSTRAINT api_scopes_api_id_fkey FOREIGN KEY (api_id) REFERENCES apis(id) ON DELETE CASCADE,
        CONSTRAINT api_scopes_scope_fkey FOREIGN KEY (scope) REFERENCES scopes(name) ON DELETE RESTRICT
      )`);
    await q.query(`
      CREATE TABLE api_resource_servers (
        api_id uuid NOT NULL,
        client_id varchar(128) NOT NULL,
        PRIMARY KEY (api_id, client_id),
        CONSTRAINT api_resource_servers_api_id_fkey FOREIGN KEY (api_id) REFERENCES apis(id) ON DELETE CASCADE,
        CONSTRAINT api_resource_servers_client_id_fkey FOREIGN KEY (client_id) REFERENCES clients(client_id) ON DELETE CASCADE
      )`);
    await q.query(`
      CREATE TABLE usage_batches (
        client_id varchar(128) NOT NULL,
        batch_id uuid NOT NULL,
        events integer NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (client_id, batch_id)
      )`);
    await q.query(`ALTER TABLE authorization_codes ADD resources text[] NOT NULL DEFAULT '{}'`);
    await q.query(`ALTER TABLE refresh_tokens ADD resources text[] NOT NULL DEFAULT '{}'`);
    await q.query(`INSERT INTO scopes (name, description) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [
      'scopegate:resource-server',
      'Serve an API: revocation feed, claims catalog, usage reports, introspection',
    ]);
    await q.query(
      `INSERT INTO roles (name, description, scopes) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
      [
        'resource-server',
        'A resource server (API) protected by Scopegate tokens',
        ['scopegate:resource-server'],
      ],
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refresh_tokens DROP COLUMN resources`);
    await q.query(`ALTER TABLE authorization_codes DROP COLUMN resources`);
    await q.query(`DROP TABLE usage_batches`);
    await q.query(`DROP TABLE api_resource_servers`);
    await q.query(`DROP TABLE api_scopes`);
    await q.query(`DROP TABLE apis`);
    await q.query(`ALTER TABLE claim_categories DROP COLUMN fields`);
  }
}
