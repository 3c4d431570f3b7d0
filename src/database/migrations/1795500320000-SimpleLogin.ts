import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `POST /auth` (simple login, a password grant RFC 9700 §2.4 advises against) only for the clients
 * and users registered for it: `clients.simple_login` (HTTP Basic with the secret, and the API key when
 * the client requires one), `clients.api_key_login` (the API key alone), `users.simple_login`. Off for
 * everyone to begin with: an administrator turns it on where it is needed.
 */
export class SimpleLogin1795500320000 implements MigrationInterface {
  name = 'SimpleLogin1795500320000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE clients ADD COLUMN simple_login boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE clients ADD COLUMN api_key_login boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE users ADD COLUMN simple_login boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP COLUMN simple_login`);
    await q.query(`ALTER TABLE clients DROP COLUMN api_key_login`);
    await q.query(`ALTER TABLE clients DROP COLUMN simple_login`);
  }
}
