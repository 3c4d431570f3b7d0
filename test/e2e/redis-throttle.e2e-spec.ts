import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startTestApp, type TestApp } from '../support/app';
import { createUser } from '../support/delegation';
import { ADMIN_ENV, ADMIN_ID, ADMIN_SECRET, adminToken, basic, seedDemo } from '../support/oauth';

const DS = getDataSourceToken() as unknown as new () => DataSource;
const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
const rawBasic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/**
 * With REDIS_URL the throttle counters live in Redis (a real redis-server on a random port, started and
 * stopped here): two apps on two different databases but one Redis share the budget, and the database
 * table stays empty.
 */
describe('throttles in Redis (REDIS_URL)', () => {
  let dir: string;
  let server: ChildProcess;
  let redisUrl: string;
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scopegate-redis-'));
    const port = await freePort();
    server = spawn(
      REDIS_SERVER,
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    redisUrl = `redis://127.0.0.1:${port}`;
    redis = new Redis(redisUrl, { maxRetriesPerRequest: 50 });
    redis.on('error', () => undefined); // refused until the server listens; ping retries
    await redis.ping();
    a = await startTestApp({ ...ADMIN_ENV, REDIS_URL: redisUrl });
    b = await startTestApp({ ...ADMIN_ENV, REDIS_URL: redisUrl });
  }, 120_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    redis?.disconnect();
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
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
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
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
