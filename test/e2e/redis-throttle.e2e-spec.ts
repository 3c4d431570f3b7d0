import { getDataSourceToken } from '@nestjs/typeorm';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app';
import { createUser } from '../support/delegation';
import { ADMIN_ENV, ADMIN_ID, ADMIN_SECRET, adminToken, basic, seedDemo } from '../support/oauth';
import { RedisServer } from '../support/redis';

const DS = getDataSourceToken() as unknown as new () => DataSource;
const rawBasic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/**
 * With REDIS_URL the throttle counters live in Redis (a real redis-server on a random port, started and
 * stopped here): two apps on two different databases but one Redis share the budget, and the database
 * table stays empty.
 */
describe('throttles in Redis (REDIS_URL)', () => {
  let server: RedisServer;
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    server = await RedisServer.start();
    redis = server.client();
    a = await startTestApp({ ...ADMIN_ENV, REDIS_URL: server.url });
    b = await startTestApp({ ...ADMIN_ENV, REDIS_URL: server.url });
  }, 120_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    redis?.disconnect();
    await server?.remove();
  });

  it('100 concurrent wrong passwords: at most 5 evaluated, then the right one is refused', async () => {
    await seedDemo(a);
    await createUser(a, await adminToken(a), {
      username: 'redisracer',
      password: 'a perfectly fine passphrase',
      roles: ['viewer'],
    });
    const attempt = (pw: string) =>
      fetch(`${a.url}/auth`, { method: 'POST', headers: { authorization: rawBasic('redisracer', pw) } });
    const burst = await Promise.all(Array.from({ length: 100 }, (_, i) => attempt(`wrong ${i}`)));
    const evaluated = burst.filter((r) => r.status === 401 && r.headers.get('retry-after') === null);
    expect(evaluated.length).toBeLessThanOrEqual(5);
    const right = await attempt('a perfectly fine passphrase');
    expect(right.status).toBe(401);
    expect(right.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(Number(await redis.get('scopegate:rl:login:user:redisracer'))).toBeGreaterThanOrEqual(100);
    expect(await redis.pttl('scopegate:rl:login:user:redisracer')).toBeGreaterThan(0);
  });

  it('failed client authentications counted through one app refuse the client on the other', async () => {
    const attempt = (app: TestApp, secret: string) =>
      fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: basic(ADMIN_ID, secret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
    for (let i = 0; i < 10; i++) expect((await attempt(a, `wrong-${i}`)).status).toBe(401);
    const other = await attempt(b, ADMIN_SECRET);
    expect(other.status).toBe(429);
    expect(other.headers.get('retry-after')).toMatch(/^\d+$/);
    const rows = (await b.app.get(DS).query('SELECT count(*)::int AS n FROM rate_limit_counters')) as {
      n: number;
    }[];
    expect(rows[0].n).toBe(0);
  });

  // Last: it stops the Redis server.
  it('answers 503 with Retry-After, not 500, while Redis cannot be reached', async () => {
    await server.stop();
    const res = await fetch(`${a.url}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: basic(ADMIN_ID, 'not-the-secret'),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await res.json()) as { error: string }).error).toBe('temporarily_unavailable');
  });
});
