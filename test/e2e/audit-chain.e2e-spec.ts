import { getDataSourceToken } from '@nestjs/typeorm';
import { toEntity, type RawEvent } from '../../src/audit/audit-event-rows';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/bootstrap';
import { eventHash, GENESIS_HASH, legacyEventHash, type ChainedEvent } from '../../src/audit/audit-chain';
import { AuditKeys } from '../../src/audit/audit-keys';
import { AuditService } from '../../src/audit/audit.service';
import { startTestApp, testConfig, type TestApp } from '../support/app';
import { ADMIN_ENV, adminToken, api, basic, seedDemo, tokenRequest } from '../support/oauth';

const DataSourceToken = getDataSourceToken() as unknown as new () => DataSource;

/** A whole row (SELECT *), as the restore puts it back. */
type Row = RawEvent & { event_key?: string | null };

const asEvent = (r: Row): ChainedEvent => toEntity(r);

/** What someone with write access to the database can do: re-link and re-hash every row from `fromId` on. */
async function rehashFrom(
  db: DataSource,
  fromId: number,
  hash: (e: ChainedEvent) => string,
  throughId = Number.MAX_SAFE_INTEGER,
): Promise<void> {
  const [before] = (await db.query('SELECT hash FROM audit_events WHERE id < $1 ORDER BY id DESC LIMIT 1', [
    fromId,
  ])) as { hash: string }[];
  const rows = (await db.query('SELECT * FROM audit_events WHERE id BETWEEN $1 AND $2 ORDER BY id', [
    fromId,
    throughId,
  ])) as Row[];
  let prev = before?.hash ?? GENESIS_HASH;
  for (const r of rows) {
    const e = { ...asEvent(r), prevHash: prev };
    prev = hash(e);
    await db.query('UPDATE audit_events SET prev_hash = $2, hash = $3 WHERE id = $1', [
      r.id,
      e.prevHash,
      prev,
    ]);
  }
}

/** Puts rows back as they were (the app keeps appending meanwhile; those rows are untouched). */
async function restore(db: DataSource, rows: Row[]): Promise<void> {
  for (const r of rows) {
    await db.query(
      `INSERT INTO audit_events SELECT * FROM json_populate_record(NULL::audit_events, $1::json)
       ON CONFLICT (id) DO UPDATE SET type = EXCLUDED.type, outcome = EXCLUDED.outcome,
         details = EXCLUDED.details, prev_hash = EXCLUDED.prev_hash, hash = EXCLUDED.hash`,
      [JSON.stringify(r)],
    );
  }
}

describe('audit chain: keyed hashes, signed checkpoints, retention', () => {
  let app: TestApp;
  let admin: string;
  let db: DataSource;
  let viewerSecret: string;
  const flush = () => app.app.get(AuditService).flush();
  const verify = async (query = '') => {
    await flush();
    const res = await api(app, `/admin/audit/verify${query}`, admin);
    expect(res.status).toBe(200);
    return res.body;
  };
  const rowsFrom = async (id: number) => {
    await flush();
    return (await db.query('SELECT * FROM audit_events WHERE id >= $1 ORDER BY id', [id])) as Row[];
  };
  const maxId = async () => Number((await db.query('SELECT max(id) AS m FROM audit_events'))[0].m);

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    const creds = await seedDemo(app);
    viewerSecret = creds.viewer.client_secret;
    admin = await adminToken(app);
    db = app.app.get(DataSourceToken);
    for (let i = 0; i < 3; i++) {
      await fetch(`${app.url}/auth`, {
        method: 'POST',
        headers: { authorization: basic('mallory', 'guess') },
      });
      await tokenRequest(
        app,
        { grant_type: 'client_credentials' },
        { id: 'demo-viewer', secret: creds.viewer.client_secret },
      );
    }
  });
  afterAll(() => app?.stop());

  it('verifies an intact chain, records a signed checkpoint, then checks only the rows after it', async () => {
    const first = await verify();
    expect(first).toMatchObject({ ok: true, first_bad: null, forged_checkpoints: [], from_checkpoint: null });
    expect(first.first_broken_id).toBeUndefined();
    expect(first.checkpoint).toMatchObject({ kind: 'verify', event_id: first.last_id });
    expect(first.checked).toBe(first.last_id);

    await api(app, '/admin/audit?limit=1', admin);
    await api(app, '/admin/audit?limit=2', admin);
    await flush();
    const [cp] = await db.query('SELECT max(event_id) AS e FROM audit_checkpoints');
    const expected = (await maxId()) - Number(cp.e);
    expect(expected).toBeGreaterThan(1);
    const second = await verify();
    expect(second).toMatchObject({ ok: true, checked: expected, from_checkpoint: { kind: 'verify' } });
    const full = await verify('?full=true');
    expect(full).toMatchObject({ ok: true, from_checkpoint: null });
    expect(full.checked).toBe(full.last_id);
  });

  it.each([
    ['the old unkeyed function', legacyEventHash],
    [
      'a keyed function under a wrong key',
      (e: ChainedEvent) => eventHash(e, AuditKeys.fromKey('w'.repeat(43)).chain),
    ],
  ])(
    'names a login.failed row edited into a success, every later hash recomputed with %s',
    async (_n, forge) => {
      await verify(); // a checkpoint after the row: the rewrite must not hide behind it
      const [{ id }] = await db.query(`SELECT min(id) AS id FROM audit_events WHERE type = 'login.failed'`);
      const target = Number(id);
      const original = await rowsFrom(target);
      await db.query(
        `UPDATE audit_events SET type = 'login.succeeded', outcome = 'success',
         details = details - 'reason' WHERE id = $1`,
        [target],
      );
      await rehashFrom(db, target, forge, Number(original.at(-1)!.id));

      for (const query of ['', '?full=true']) {
        const res = await verify(query);
        expect(res).toMatchObject({
          ok: false,
          first_bad: { id: target, reason: 'edited' },
          first_broken_id: target,
        });
        expect(res.checkpoint).toBeNull();
      }
      await restore(db, original);
      expect((await verify('?full=true')).ok).toBe(true);
    },
  );

  it('names the id of a removed row', async () => {
    await verify();
    const [{ id }] = await db.query(`SELECT max(id) - 4 AS id FROM audit_events`);
    const victim = Number(id);
    const original = await rowsFrom(victim);
    await db.query('DELETE FROM audit_events WHERE id = $1', [victim]);
    expect(await verify('?full=true')).toMatchObject({
      ok: false,
      first_bad: { id: victim, reason: 'removed' },
    });

    // Removed, and every later row re-linked around the gap (hashes forged): still the missing id.
    await rehashFrom(db, victim + 1, legacyEventHash, Number(original.at(-1)!.id));
    expect(await verify('?full=true')).toMatchObject({
      ok: false,
      first_bad: { id: victim, reason: 'removed' },
    });
    await restore(db, original);
    expect((await verify('?full=true')).ok).toBe(true);
  });

  it('ignores and reports a forged checkpoint that would skip an edit', async () => {
    await verify();
    await api(app, '/admin/audit?limit=1', admin);
    await flush();
    const target = await maxId();
    const [original] = await rowsFrom(target);
    await db.query(`UPDATE audit_events SET outcome = 'failure' WHERE id = $1`, [target]);
    const [{ id: forged }] = await db.query(
      `INSERT INTO audit_checkpoints (event_id, event_hash, kind, created_at, signature)
       SELECT id, hash, 'verify', now(), repeat('ab', 32) FROM audit_events WHERE id = $1 RETURNING id`,
      [target],
    );
    const res = await verify();
    expect(res).toMatchObject({
      ok: false,
      first_bad: { id: target, reason: 'edited' },
      forged_checkpoints: [{ id: Number(forged), event_id: target }],
    });
    expect(res.from_checkpoint.id).not.toBe(Number(forged));

    await restore(db, [original]);
    expect(await verify()).toMatchObject({
      ok: false,
      first_bad: null,
      forged_checkpoints: [{ id: Number(forged) }],
    });
    await db.query('DELETE FROM audit_checkpoints WHERE id = $1', [forged]);
    expect((await verify()).ok).toBe(true);
  });

  it('archives events older than a cut-off behind a signed checkpoint; verify still holds', async () => {
    await flush();
    const cutAfter = Math.floor((await maxId()) / 2);
    const [{ t }] = await db.query('SELECT occurred_at AS t FROM audit_events WHERE id = $1', [cutAfter + 1]);
    const before = new Date(t).toISOString();

    expect(
      (await api(app, '/admin/audit/archive', admin, { method: 'POST', body: { before: 'soon' } })).status,
    ).toBe(400);
    const res = await api(app, '/admin/audit/archive', admin, {
      method: 'POST',
      body: { before },
      headers: { 'x-request-id': 'audit-archive-1' },
    });
    expect(res.status).toBe(200);
    const through = res.body.through_id;
    expect(through).toBeGreaterThan(0);
    expect(through).toBeLessThanOrEqual(cutAfter);
    expect(res.body).toMatchObject({ archived: through, checkpoint: { kind: 'archive', event_id: through } });
    const [{ min }] = await db.query('SELECT min(id) AS min FROM audit_events');
    expect(Number(min)).toBe(through + 1);

    expect(await verify()).toMatchObject({ ok: true, first_bad: null });
    expect(await verify('?full=true')).toMatchObject({
      ok: true,
      from_checkpoint: { kind: 'archive', event_id: through },
    });
    const events = await api(app, '/admin/audit?request_id=audit-archive-1&type=admin.audit.archived', admin);
    expect(events.body.data[0]).toMatchObject({
      actor: 'test-admin',
      outcome: 'success',
      details: { before, through_id: through, archived: through },
    });

    // Rows removed below the retention checkpoint without it: named.
    await db.query('DELETE FROM audit_events WHERE id = $1', [through + 1]);
    expect(await verify('?full=true')).toMatchObject({
      ok: false,
      first_bad: { id: through + 1, reason: 'removed' },
    });

    // While the chain does not verify, retention refuses and deletes nothing.
    const [{ n }] = await db.query('SELECT count(*)::int AS n FROM audit_events');
    const refused = await api(app, '/admin/audit/archive', admin, {
      method: 'POST',
      body: { before: new Date().toISOString() },
    });
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toContain(String(through + 1));
    const [{ m }] = await db.query('SELECT count(*)::int AS m FROM audit_events WHERE id <= $1', [
      through + 2,
    ]);
    expect(m).toBe(1);
    expect((await db.query('SELECT count(*)::int AS n FROM audit_events'))[0].n).toBeGreaterThanOrEqual(n);
  });

  it('documents verify and archive in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${app.url}/docs-json`)).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    expect(doc.paths['/admin/audit/verify'].get.parameters?.map((p) => p.name)).toContain('full');
    expect(doc.paths['/admin/audit/archive'].post).toBeDefined();
    expect(Object.keys(doc.components.schemas.AuditVerificationDto.properties)).toEqual(
      expect.arrayContaining(['ok', 'checked', 'first_bad', 'first_broken_id', 'from_checkpoint']),
    );
  });

  it('archive needs scope admin', async () => {
    const token = await tokenRequest(
      app,
      { grant_type: 'client_credentials' },
      { id: 'demo-viewer', secret: viewerSecret },
    );
    const res = await api(app, '/admin/audit/archive', token.body.access_token as string, {
      method: 'POST',
      body: { before: '2030-01-01T00:00:00Z' },
    });
    expect(res.status).toBe(403);
  });
});

describe('audit chain: inserted rows', () => {
  let app: TestApp;
  let admin: string;
  let db: DataSource;

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    admin = await adminToken(app);
    db = app.app.get(DataSourceToken);
    for (let i = 0; i < 4; i++) await api(app, '/admin/audit?limit=1', admin);
    await app.app.get(AuditService).flush();
  });
  afterAll(() => app?.stop());

  it('names a row inserted into the chain (later rows renumbered to make room)', async () => {
    const [{ id }] = await db.query('SELECT max(id) - 2 AS id FROM audit_events');
    const at = Number(id);
    const [prev] = (await db.query('SELECT * FROM audit_events WHERE id = $1', [at - 1])) as Row[];
    await db.query('UPDATE audit_events SET id = -id WHERE id >= $1', [at]);
    await db.query('UPDATE audit_events SET id = -id + 1 WHERE id < 0');
    const forged = { ...asEvent(prev), id: at, type: 'login.succeeded', prevHash: prev.hash };
    await db.query(
      `INSERT INTO audit_events (id, occurred_at, type, outcome, actor, details, prev_hash, hash)
       VALUES ($1, $2, $3, 'success', 'mallory', '{}', $4, $5)`,
      [
        at,
        forged.occurredAt,
        forged.type,
        prev.hash,
        legacyEventHash({ ...forged, actor: 'mallory', details: {} }),
      ],
    );
    const res = await api(app, '/admin/audit/verify?full=true', admin);
    expect(res.body).toMatchObject({ ok: false, first_bad: { id: at, reason: 'inserted' } });
  });
});

describe('audit chain: upgrade from unkeyed rows', () => {
  it('anchors rows written before AUDIT_KEY with a signed checkpoint, says so, and holds them to it', async () => {
    const first = await startTestApp(ADMIN_ENV);
    let second: Awaited<ReturnType<typeof createApp>> | undefined;
    try {
      const token = await adminToken(first);
      for (let i = 0; i < 3; i++) await api(first, '/admin/audit?limit=1', token);
      await first.app.get(AuditService).flush();
      const db = first.app.get(DataSourceToken);
      // The database as an earlier version left it: unkeyed hashes, no checkpoints.
      await db.query('DELETE FROM audit_checkpoints');
      await rehashFrom(db, 1, legacyEventHash);
      const last = Number((await db.query('SELECT max(id) AS m FROM audit_events'))[0].m);
      await first.close();

      const config = testConfig({
        ...ADMIN_ENV,
        ISSUER: first.config.ISSUER,
        AUDIT_CHECKPOINT_INTERVAL: '1',
      });
      second = await createApp(config, {
        databaseUrl: first.db.url,
        poolSize: first.db.poolSize,
        embedded: first.db.embedded,
      });
      const app = { ...first, ...second };
      const admin = await adminToken(app);
      const db2 = second.app.get(DataSourceToken);
      const res = await api(app, '/admin/audit/verify?full=true', admin);
      expect(res.body).toMatchObject({ ok: true, unkeyed_through_id: last });
      const anchored = await api(app, '/admin/audit?type=audit.chain.anchored', admin);
      expect(anchored.body.data[0]).toMatchObject({ details: { unkeyed_through_id: last } });

      // A periodic checkpoint follows within AUDIT_CHECKPOINT_INTERVAL.
      const deadline = Date.now() + 10_000;
      while (
        Date.now() < deadline &&
        (await db2.query(`SELECT 1 FROM audit_checkpoints WHERE kind = 'periodic'`)).length === 0
      )
        await new Promise((r) => setTimeout(r, 200));
      expect(
        (await db2.query(`SELECT 1 FROM audit_checkpoints WHERE kind = 'periodic'`)).length,
      ).toBeGreaterThan(0);

      // An unkeyed row rewritten with the unkeyed function: the signed anchor no longer matches.
      await db2.query(`UPDATE audit_events SET outcome = 'failure' WHERE id = 2`);
      await rehashFrom(db2, 2, legacyEventHash);
      const broken = await api(app, '/admin/audit/verify?full=true', admin);
      expect(broken.body).toMatchObject({ ok: false, first_bad: { reason: 'edited' } });
      expect(broken.body.first_bad.id).toBeLessThanOrEqual(last + 1);
    } finally {
      await second?.close();
      await first.stop();
    }
  });
});
