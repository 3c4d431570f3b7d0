import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ADMIN_ID, ADMIN_SECRET, basic } from '../support/oauth';
import { spawnServer, waitForOk, type Spawned } from '../support/process';

const PRODUCTION_ENV = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  KEYS_ENCRYPTION_KEY: 'q3X9vJ2mTz8LwR5nB1cY7uK4pH6sD0fG2aE8iO3lN5w',
  SECRET_PEPPER: 'a-test-pepper-that-is-long-enough-0123456789',
  AUDIT_KEY: 'dGVzdC1hdWRpdC1rZXktb2YtMzItYnl0ZXMtZm9yLWUyZQ',
  ADMIN_CLIENT_ID: ADMIN_ID,
  ADMIN_CLIENT_SECRET: ADMIN_SECRET,
};

/** The built server in production: demo data may be seeded, demo clients and users never. */
describe.each([
  ['a server database, SEED_DEMO=true', true],
  ['the embedded database, SEED_DEMO unset', false],
])('NODE_ENV=production on %s', (_name, serverDatabase) => {
  let db: TestDatabase | undefined;
  let server: Spawned;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    if (serverDatabase) db = await createTestDatabase();
    server = spawnServer({
      ...PRODUCTION_ENV,
      PORT: String(port),
      ISSUER: base,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'scopegate-prod-')),
      ...(db ? { DATABASE_URL: db.url, DATABASE_POOL_SIZE: String(db.poolSize), SEED_DEMO: 'true' } : {}),
    });
    await waitForOk(`${base}/health/ready`, 60_000);
  }, 90_000);

  afterAll(async () => {
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
    await db?.drop();
  });

  const token = (auth: string) =>
    fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
  const admin = async (path: string) => {
    const access = ((await (await token(basic(ADMIN_ID, ADMIN_SECRET))).json()) as { access_token: string })
      .access_token;
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${access}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as { data: Record<string, string>[] };
  };

  it('seeds the demo catalog but no demo client and no demo user', async () => {
    const scopes = JSON.stringify(await admin('/admin/scopes'));
    expect(scopes).toContain('customers:read');
    const clients = (await admin('/admin/clients?limit=100')).data.map((c) => c.client_id);
    expect(clients).toEqual([ADMIN_ID]);
    const users = (await admin('/admin/users?limit=100')).data.map((u) => u.username);
    expect(users).toEqual([]);
    const res = await token(basic('demo-admin', 'any-secret-at-all-0123456789'));
    expect(res.status).toBe(401);
  });

  it('prints no client secret or demo password to stdout or stderr', () => {
    const output = server.stdout() + server.stderr();
    expect(output).not.toMatch(/client_secret=|password=|demo-clients\.json|demo-user\.json/);
    expect(output).not.toContain(ADMIN_SECRET);
  });
});
