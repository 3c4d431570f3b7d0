import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/app';
import { ADMIN_ID, ADMIN_SECRET, basic } from '../support/oauth';
import { OwnPostgres } from '../support/pg-server';
import { sharedInstanceEnv, spawnServer, waitForOk, type Spawned } from '../support/process';

/**
 * Database outages (docs/architecture.md, "When the database is away"): the test runs its own
 * PostgreSQL server, restarts it under load, exhausts its connection slots, and blocks the audit table
 * during a shutdown. It needs a server it may stop, so it runs with TEST_DATABASE_URL (the server
 * suite); the embedded database cannot be restarted under a running app.
 */
describe.skipIf(!process.env.TEST_DATABASE_URL)('database outages', () => {
  let pg: OwnPostgres;
  let a: Instance;
  let b: Instance;
  let viewer: { id: string; secret: string };
  const dirs: string[] = [];

  interface Instance {
    proc: Spawned;
    url: string;
    dataDir: string;
  }

  const start = async (env: Record<string, string> = {}, dataDir?: string): Promise<Instance> => {
    const port = await freePort();
    const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'scopegate-data-'));
    if (!dataDir) dirs.push(dir);
    const proc = spawnServer({
      ...sharedInstanceEnv(pg.url),
      DATABASE_POOL_SIZE: '4',
      PORT: String(port),
      LOG_LEVEL: 'error',
      DATA_DIR: dir,
      SEED_DEMO: 'true',
      SEED_DEMO_PRINCIPALS: 'false',
      ...env,
    });
    const url = `http://127.0.0.1:${port}`;
    await waitForOk(`${url}/health/ready`, 60_000);
    return { proc, url, dataDir: dir };
  };

  const stop = async (i: Instance) => {
    if (i.proc.child.exitCode === null) i.proc.child.kill('SIGTERM');
    return i.proc.exited;
  };

  interface Answer {
    status: number;
    retryAfter: string | null;
    body: Record<string, unknown>;
  }

  const tokenFrom = async (url: string, id = ADMIN_ID, secret = ADMIN_SECRET): Promise<Answer> => {
    const res = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { authorization: basic(id, secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      body: (await res.json()) as Record<string, unknown>,
    };
  };

  const apiCall = async (url: string, token: string, requestId: string): Promise<Answer> => {
    const res = await fetch(`${url}/customers?limit=1`, {
      headers: { authorization: `Bearer ${token}`, 'x-request-id': requestId },
    });
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      body: (await res.json()) as Record<string, unknown>,
    };
  };

  const sql = async <T>(text: string, params: unknown[] = []): Promise<T[]> => {
    const c = new Client({ connectionString: pg.superUrl });
    await c.connect();
    try {
      return (await c.query(text, params)).rows as T[];
    } finally {
      await c.end();
    }
  };

  const within = async (ms: number, check: () => Promise<boolean>) => {
    const t0 = Date.now();
    while (Date.now() - t0 < ms) {
      if (await check().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`not within ${ms} ms`);
  };

  const logLines = (i: Instance) => (i.proc.stdout() + i.proc.stderr()).split('\n').filter(Boolean);

  beforeAll(async () => {
    pg = await OwnPostgres.start({ max_connections: 30, superuser_reserved_connections: 3 });
    a = await start(); // runs the migrations and seeds the catalog first
    b = await start();
    const admin = (await tokenFrom(a.url)).body.access_token as string;
    const res = await fetch(`${a.url}/admin/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'outage reader', role: 'viewer' }),
    });
    const c = (await res.json()) as { client_id: string; client_secret: string };
    viewer = { id: c.client_id, secret: c.client_secret };
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a, b].filter(Boolean).map(stop));
    await pg?.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a restart under load: 503 + Retry-After during the outage, nothing acknowledged is lost, logs stay bounded', async () => {
    const readers = await Promise.all(
      [a, b].map(async (i) => (await tokenFrom(i.url, viewer.id, viewer.secret)).body.access_token as string),
    );
    const linesBefore = [a, b].map((i) => logLines(i).length);
    const tokens: Answer[] = [];
    const calls: (Answer & { requestId: string })[] = [];
    let running = true;
    const worker = async (n: number) => {
      const i = n % 2 ? a : b;
      while (running) {
        try {
          if (n % 3 === 0) tokens.push(await tokenFrom(i.url));
          else {
            const requestId = randomUUID();
            calls.push({ ...(await apiCall(i.url, readers[n % 2], requestId)), requestId });
          }
        } catch (err) {
          tokens.push({ status: -1, retryAfter: null, body: { error: String(err) } });
        }
      }
    };
    const load = Promise.all(Array.from({ length: 12 }, (_, n) => worker(n)));
    await new Promise((r) => setTimeout(r, 1000));
    await pg.restartAfter(1500);
    await new Promise((r) => setTimeout(r, 2000));
    running = false;
    await load;

    const all = [...tokens, ...calls];
    const failed = all.filter((r) => r.status !== 200);
    expect(failed.length).toBeGreaterThan(0); // there was an outage to see
    expect(failed.filter((r) => r.status !== 503)).toEqual([]);
    expect(failed.every((r) => Number(r.retryAfter) > 0)).toBe(true);
    const failedTokens = tokens.filter((r) => r.status !== 200);
    expect(failedTokens.every((r) => r.body.error === 'temporarily_unavailable')).toBe(true);

    // Every acknowledged token has its record and its token.issued event.
    const jtis = tokens
      .filter((r) => r.status === 200)
      .map((r) => decodeJwt(r.body.access_token as string).jti!);
    expect(jtis.length).toBeGreaterThan(0);
    const records = await sql<{ n: number }>('SELECT count(*)::int AS n FROM tokens WHERE jti = ANY($1)', [
      jtis,
    ]);
    expect(records[0].n).toBe(jtis.length);
    const issued = await sql<{ n: number }>(
      "SELECT count(DISTINCT jti)::int AS n FROM audit_events WHERE type = 'token.issued' AND jti = ANY($1)",
      [jtis],
    );
    expect(issued[0].n).toBe(jtis.length);

    // Every acknowledged API call has exactly one api.call event (batched: wait for the retries).
    const ids = calls.filter((r) => r.status === 200).map((r) => r.requestId);
    expect(ids.length).toBeGreaterThan(0);
    const recorded = async () =>
      (
        await sql<{ n: number }>(
          "SELECT count(DISTINCT request_id)::int AS n FROM audit_events WHERE type = 'api.call' AND request_id = ANY($1)",
          [ids],
        )
      )[0].n;
    await within(30_000, async () => (await recorded()) === ids.length).catch(async () => {
      const logs = [a, b].map((i) => logLines(i).slice(-15).join('\n')).join('\n---\n');
      throw new Error(`api.call events for ${await recorded()} of ${ids.length} calls; logs:\n${logs}`);
    });
    const dup = await sql<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_events WHERE type = 'api.call' AND request_id = ANY($1)",
      [ids],
    );
    expect(dup[0].n).toBe(ids.length);

    // Both instances are ready again, and the chain is unbroken.
    await within(15_000, async () => (await fetch(`${a.url}/health/ready`)).status === 200);
    await within(15_000, async () => (await fetch(`${b.url}/health/ready`)).status === 200);
    const admin = (await tokenFrom(a.url)).body.access_token as string;
    const verify = (await (
      await fetch(`${b.url}/admin/audit/verify`, { headers: { authorization: `Bearer ${admin}` } })
    ).json()) as { ok: boolean };
    expect(verify.ok).toBe(true);

    // Logs: a few lines per kind of failure, no stack traces, whatever the number of failed requests.
    for (const [n, i] of [a, b].entries()) {
      const lines = logLines(i).slice(linesBefore[n]);
      expect(lines.filter((l) => /^\s+at /.test(l) || l.includes('\\n    at '))).toEqual([]);
      expect(lines.length).toBeLessThan(40);
    }
  }, 60_000);

  it('exhausted connection slots: not ready (503, no internals) while requests fail with 503; ready again after', async () => {
    const held: Client[] = [];
    const ours: number[] = [];
    const fill = async () => {
      for (;;) {
        const c = new Client({ connectionString: pg.url });
        c.on('error', () => undefined);
        try {
          await c.connect();
          ours.push((await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number);
        } catch (err) {
          if ((err as { code?: string }).code === '53300') return; // too many clients: all taken
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        held.push(c);
      }
    };
    const appSessions = async () =>
      (
        await sql<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = 'app' AND NOT pid = ANY($1)",
          [ours],
        )
      )[0].n;
    try {
      // Take every slot, then cut the instances' own sessions. A slot freed late (a terminated backend
      // still exiting) must not go to an instance: the role's limit is set to what we hold.
      await fill();
      await sql(`ALTER ROLE app CONNECTION LIMIT ${held.length}`);
      await within(10_000, async () => {
        await sql(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'app' AND NOT pid = ANY($1)",
          [ours],
        );
        await fill();
        await sql(`ALTER ROLE app CONNECTION LIMIT ${held.length}`);
        return (await appSessions()) === 0;
      });
      expect(await appSessions()).toBe(0);
      expect(held.length).toBeGreaterThan(10);
      await within(10_000, async () => (await fetch(`${a.url}/health/ready`)).status === 503);
      const ready = await fetch(`${a.url}/health/ready`);
      const text = await ready.text();
      expect(text).not.toMatch(/127\.0\.0\.1|\d{4,5}|too many|ECONN|postgres/i);
      expect(JSON.parse(text)).toMatchObject({ status: 'error', components: { database: 'down' } });
      const t = await tokenFrom(a.url);
      expect(t.status).toBe(503);
      expect(t.body.error).toBe('temporarily_unavailable');
      expect(Number(t.retryAfter)).toBeGreaterThan(0);
    } finally {
      await sql('ALTER ROLE app CONNECTION LIMIT -1');
      await Promise.all(held.map((c) => c.end().catch(() => undefined)));
    }
    await within(15_000, async () => (await fetch(`${a.url}/health/ready`)).status === 200);
    const ready = (await (await fetch(`${a.url}/health/ready`)).json()) as Record<string, unknown>;
    expect(ready).toEqual({
      status: 'ok',
      components: { database: 'up', notifications: 'up', keys: 'up' },
    });
    expect((await tokenFrom(a.url)).status).toBe(200);
  }, 60_000);

  it('a shutdown outlasting SHUTDOWN_TIMEOUT_MS spools API-call events; the next start replays them once', async () => {
    const c = await start({ SHUTDOWN_TIMEOUT_MS: '1500', SEED_DEMO: 'false' });
    const reader = (await tokenFrom(c.url, viewer.id, viewer.secret)).body.access_token as string;
    expect((await apiCall(c.url, reader, randomUUID())).status).toBe(200); // token verified and cached
    const locker = new Client({ connectionString: pg.superUrl });
    await locker.connect();
    const ids: string[] = [];
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE audit_events IN ACCESS EXCLUSIVE MODE');
      for (let n = 0; n < 40; n++) {
        const requestId = randomUUID();
        const r = await apiCall(c.url, reader, requestId);
        if (r.status === 200) ids.push(requestId);
      }
      expect(ids.length).toBe(40);
      c.proc.child.kill('SIGTERM');
      await c.proc.exited; // forced exit after 1.5 s: the audit writes are stuck behind the lock
      expect(c.proc.stdout() + c.proc.stderr()).toMatch(/spooled/);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
    // Each file twice: the replay must store every event once however often it meets it.
    const spool = join(c.dataDir, 'audit-spool');
    const files = readdirSync(spool);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) copyFileSync(join(spool, f), join(spool, `copy-${f}`));

    const again = await start({ SEED_DEMO: 'false' }, c.dataDir);
    try {
      await within(15_000, async () => readdirSync(spool).length === 0);
      const [row] = await sql<{ n: number; distinct: number }>(
        "SELECT count(*)::int AS n, count(DISTINCT request_id)::int AS distinct FROM audit_events WHERE type = 'api.call' AND request_id = ANY($1)",
        [ids],
      );
      expect(row).toEqual({ n: ids.length, distinct: ids.length });
    } finally {
      await stop(again);
    }
  }, 60_000);
});
