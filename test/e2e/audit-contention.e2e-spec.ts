import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigService } from '@nestjs/config';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { AuditKeys } from '../../src/audit/audit-keys';
import { AuditService } from '../../src/audit/audit.service';
import type { AppConfig } from '../../src/config/env';
import { SCHEMA } from '../../src/database/schema';
import { dataSourceOptions } from '../../src/platform/db/connection';
import { MetricsService } from '../../src/platform/metrics/metrics.service';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, TEST_AUDIT_KEY } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ADMIN_ID, ADMIN_SECRET, basic } from '../support/oauth';
import { sharedInstanceEnv, spawnServer, waitForOk, type Spawned } from '../support/process';

/**
 * Three app processes appending to one audit chain at once (docs/architecture.md, "The audit
 * writer"): a collision on the chain head must never fail a request. Beside them, this process runs
 * eight more audit writers of its own (each with its own view of the chain head, as separate instances
 * have), so the head is contended hard. Needs a server database (the embedded one is a single
 * process), so it runs with TEST_DATABASE_URL.
 */
describe.skipIf(!process.env.TEST_DATABASE_URL)('three instances appending to one audit chain', () => {
  let db: TestDatabase;
  const procs: Spawned[] = [];
  const urls: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    for (let n = 0; n < 3; n++) {
      const port = await freePort();
      procs.push(
        spawnServer({
          ...sharedInstanceEnv(db.url),
          PORT: String(port),
        }),
      );
      urls.push(`http://127.0.0.1:${port}`);
      await waitForOk(`${urls[n]}/health/ready`, 60_000); // one after the other: the first migrates
    }
  }, 120_000);

  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await db?.drop();
  });

  it('many parallel token requests on three instances: no 500, one gapless, verified chain', async () => {
    const ds = new DataSource(
      dataSourceOptions({ url: db.url, poolSize: 10, migrationsRun: false, embedded: false }, SCHEMA),
    );
    await ds.initialize();
    // Only DATA_DIR is read (the spool directory); typed, so a change of the constructor fails to compile.
    const config = {
      get: (k: string) => (k === 'DATA_DIR' ? mkdtempSync(join(tmpdir(), 'sg-audit-')) : undefined),
    } as unknown as ConfigService<AppConfig, true>;
    const writers = Array.from(
      { length: 8 },
      () => new AuditService(ds, new MetricsService(), AuditKeys.fromKey(TEST_AUDIT_KEY), config),
    );
    const extraFailed: unknown[] = [];
    const appender = async (w: AuditService, n: number) => {
      for (let k = 0; k < 75; k++) {
        await w
          .record({ type: 'test.contention', outcome: 'success', subject: `w${n}-${k}` })
          .catch((err: unknown) => extraFailed.push(String(err)));
      }
    };
    // Four concurrent appenders per writer: a stream of small batches all through the HTTP load.
    const extra = Promise.all(writers.flatMap((w, n) => [0, 1, 2, 3].map(() => appender(w, n))));
    const statuses: number[] = [];
    const worker = async (n: number) => {
      for (let k = 0; k < 25; k++) {
        const res = await fetch(`${urls[(n + k) % 3]}/oauth/token`, {
          method: 'POST',
          headers: {
            authorization: basic(ADMIN_ID, ADMIN_SECRET),
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: 'grant_type=client_credentials',
        });
        statuses.push(res.status);
        await res.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: 60 }, (_, n) => worker(n)));
    await extra;
    await ds.destroy();
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(extraFailed).toEqual([]);

    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const { rows } = await pg.query(
        'SELECT count(*)::int AS n, min(id)::int AS lo, max(id)::int AS hi FROM audit_events',
      );
      expect(rows[0].lo).toBe(1);
      expect(rows[0].hi).toBe(rows[0].n);
    } finally {
      await pg.end();
    }
    const admin = (await (
      await fetch(`${urls[0]}/oauth/token`, {
        method: 'POST',
        headers: {
          authorization: basic(ADMIN_ID, ADMIN_SECRET),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      })
    ).json()) as { access_token: string };
    const verify = (await (
      await fetch(`${urls[1]}/admin/audit/verify`, {
        headers: { authorization: `Bearer ${admin.access_token}` },
      })
    ).json()) as { ok: boolean; checked: number };
    expect(verify.ok).toBe(true);
    expect(verify.checked).toBeGreaterThan(3000 + 2400);
  }, 120_000);
});
