import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { inject } from 'vitest';
import { EmbeddedPostgres } from '../../src/platform/db/embedded-postgres';

export interface TestDatabase {
  url: string;
  /** Pool size the app must use on it (1 on the embedded database, see EmbeddedPostgres). */
  poolSize: number;
  embedded: boolean;
  drop(): Promise<void>;
}

/**
 * A clean, empty database for one test file: a fresh embedded PostgreSQL by default, or a new database
 * on the server named by TEST_DATABASE_URL. Migrations are run by the app itself, as in production.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const template = inject('pgliteTemplate');
    const blob = template ? new Blob([readFileSync(template)]) : undefined;
    const pg = await EmbeddedPostgres.start('memory://', blob);
    return { url: pg.url, poolSize: EmbeddedPostgres.poolSize, embedded: true, drop: () => pg.stop() };
  }
  const name = `sg_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    poolSize: 10,
    embedded: false,
    drop: async () => {
      const c = new Client({ connectionString: serverUrl });
      await c.connect();
      try {
        // FORCE cannot end an autovacuum worker that a test's heavy rewrites started (42501, it is not
        // ours to signal): it ends by itself soon, so try again for a while.
        for (let attempt = 0; ; attempt++) {
          try {
            await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            return;
          } catch (err) {
            const code = (err as { code?: string }).code;
            if ((code !== '42501' && code !== '55006') || attempt >= 50) throw err;
            await new Promise((r) => setTimeout(r, 200));
          }
        }
      } finally {
        await c.end();
      }
    },
  };
}
