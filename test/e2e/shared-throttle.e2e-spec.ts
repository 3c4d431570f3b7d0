import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ADMIN_ID, ADMIN_SECRET, basic } from '../support/oauth';
import { sharedInstanceEnv, spawnServer, waitForOk, type Spawned } from '../support/process';

const rawBasic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/**
 * Two server processes on one PostgreSQL database share one budget of sign-in attempts and of failed
 * client authentications (the counters live in the database, not in each process). Needs a real server:
 * the embedded PGlite is one process (runs when TEST_DATABASE_URL is set, as CI does).
 */
describe.skipIf(!process.env.TEST_DATABASE_URL)('throttles shared by two instances on one database', () => {
  let db: TestDatabase;
  const procs: Spawned[] = [];
  const urls: string[] = [];
  const password = 'a perfectly fine passphrase';

  const start = async () => {
    const port = await freePort();
    const proc = spawnServer({
      ...sharedInstanceEnv(db.url),
      PORT: String(port),
      SEED_DEMO: 'true', // the roles
      SEED_DEMO_PRINCIPALS: 'false',
    });
    procs.push(proc);
    const url = `http://127.0.0.1:${port}`;
    await waitForOk(`${url}/health/ready`, 60_000);
    urls.push(url);
  };
  const adminToken = async () => {
    const res = await fetch(`${urls[0]}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: basic(ADMIN_ID, ADMIN_SECRET),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    return ((await res.json()) as { access_token: string }).access_token;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await start(); // the first runs the migrations
    await start();
    const admin = await adminToken();
    const res = await fetch(`${urls[0]}/admin/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'shared', password, roles: ['viewer'] }),
    });
    expect(res.status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await db?.drop();
  });

  it('100 concurrent wrong passwords spread over both instances: at most 5 evaluated in all', async () => {
    const burst = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        fetch(`${urls[i % 2]}/auth`, {
          method: 'POST',
          headers: { authorization: rawBasic('shared', `wrong ${i}`) },
        }),
      ),
    );
    const evaluated = burst.filter((r) => r.status === 401 && r.headers.get('retry-after') === null);
    expect(evaluated.length).toBeLessThanOrEqual(5);
    expect(burst.filter((r) => r.headers.get('retry-after') !== null).length).toBeGreaterThanOrEqual(95);
    for (const url of urls) {
      const right = await fetch(`${url}/auth`, {
        method: 'POST',
        headers: { authorization: rawBasic('shared', password) },
      });
      expect(right.status).toBe(401);
      expect(right.headers.get('retry-after')).toMatch(/^\d+$/);
    }
  });

  it('failed client authentications on one instance count on the other', async () => {
    const attempt = (url: string, secret: string) =>
      fetch(`${url}/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: basic(ADMIN_ID, secret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
    for (let i = 0; i < 10; i++) expect((await attempt(urls[0], `wrong-${i}`)).status).toBe(401);
    const other = await attempt(urls[1], ADMIN_SECRET);
    expect(other.status).toBe(429);
    expect(other.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
