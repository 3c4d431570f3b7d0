import { decodeJwt, decodeProtectedHeader } from 'jose';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ADMIN_ID, ADMIN_SECRET, basic } from '../support/oauth';
import { sharedInstanceEnv, spawnServer, waitForOk, type Spawned } from '../support/process';

/**
 * Two app processes on one PostgreSQL server (revocation takes effect on every instance at
 * once). LISTEN/NOTIFY needs a real server: the embedded PGlite is one process with one session, so
 * this file runs when TEST_DATABASE_URL is set (CI runs the suite on both databases).
 */
describe.skipIf(!process.env.TEST_DATABASE_URL)('two instances on one database', () => {
  let db: TestDatabase;
  let a: Spawned;
  let b: Spawned;
  let urlA: string;
  let urlB: string;

  const start = async () => {
    const port = await freePort();
    const proc = spawnServer({
      ...sharedInstanceEnv(db.url),
      PORT: String(port),
      KEY_PUBLISH_LEAD: '0',
    });
    const url = `http://127.0.0.1:${port}`;
    await waitForOk(`${url}/health/ready`, 60_000);
    return { proc, url };
  };

  const token = async (url: string) => {
    const res = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: basic(ADMIN_ID, ADMIN_SECRET),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    return ((await res.json()) as { access_token: string }).access_token;
  };
  const status = async (url: string, path: string, t: string, method = 'GET') =>
    (await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${t}` } })).status;
  /** Polls until the status is as expected; returns the milliseconds it took. */
  const within = async (ms: number, check: () => Promise<boolean>) => {
    const t0 = Date.now();
    while (Date.now() - t0 < ms) {
      if (await check()) return Date.now() - t0;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`not within ${ms} ms`);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ proc: a, url: urlA } = await start()); // A runs the migrations first
    ({ proc: b, url: urlB } = await start());
  }, 120_000);

  afterAll(async () => {
    for (const p of [a, b]) if (p && p.child.exitCode === null) p.child.kill('SIGTERM');
    await Promise.all([a?.exited, b?.exited]);
    await db?.drop();
  });

  it('a token revoked through one instance is refused by the other within 1 s', async () => {
    const t = await token(urlA);
    const jti = decodeJwt(t).jti!;
    expect(await status(urlB, '/admin/clients', t)).toBe(200);
    const admin = await token(urlB);
    expect(await status(urlA, `/admin/tokens/${jti}`, admin, 'DELETE')).toBe(204);
    const took = await within(1000, async () => (await status(urlB, '/admin/clients', t)) === 401);
    expect(took).toBeLessThan(1000);
  });

  it('a key rotated on one instance verifies on the other', async () => {
    const admin = await token(urlA);
    const res = await fetch(`${urlA}/admin/keys/rotate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const { kid } = (await res.json()) as { kid: string };
    const fresh = await token(urlA);
    expect(decodeProtectedHeader(fresh).kid).toBe(kid);
    await within(1000, async () => (await status(urlB, '/admin/clients', fresh)) === 200);
    // B signs with the new key too once it heard of it.
    await within(2000, async () => decodeProtectedHeader(await token(urlB)).kid === kid);
  });

  it('a revocation made while the other instance’s listener is cut off is still honoured', async () => {
    const t = await token(urlA);
    const pg = new Client({ connectionString: process.env.TEST_DATABASE_URL });
    await pg.connect();
    try {
      const killed = await pg.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [`scopegate-listener-${b.child.pid}`],
      );
      expect(killed.rowCount).toBe(1);
      const admin = await token(urlA);
      expect(await status(urlA, `/admin/tokens/${decodeJwt(t).jti}`, admin, 'DELETE')).toBe(204);
      // B missed the notification; it must refuse the token anyway, now and after it reconnects.
      await within(1000, async () => (await status(urlB, '/admin/clients', t)) === 401);
      await within(5000, async () => {
        const r = await pg.query('SELECT 1 FROM pg_stat_activity WHERE application_name = $1', [
          `scopegate-listener-${b.child.pid}`,
        ]);
        return r.rowCount === 1;
      });
      expect(await status(urlB, '/admin/clients', t)).toBe(401);
    } finally {
      await pg.end();
    }
  });

  it('both instances append to one unbroken audit chain under concurrent load', async () => {
    const burst = await Promise.all(Array.from({ length: 120 }, (_, i) => token(i % 2 ? urlA : urlB)));
    expect(burst.every(Boolean)).toBe(true);
    const admin = await token(urlA);
    const verify = (await (
      await fetch(`${urlB}/admin/audit/verify`, { headers: { authorization: `Bearer ${admin}` } })
    ).json()) as {
      ok: boolean;
      checked: number;
    };
    expect(verify.ok).toBe(true);
    expect(verify.checked).toBeGreaterThan(240); // client.authenticated + token.issued per request, at least
  });
});
