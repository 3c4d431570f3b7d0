import { getDataSourceToken } from '@nestjs/typeorm';
import { decodeJwt } from 'jose';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditService } from '../../src/audit/audit.service';
import type { DemoCredential } from '../../src/demo/seeds/demo-seeder';
import { demoCustomerId } from '../../src/demo/seeds/demo-customers';
import { startTestApp, type TestApp } from '../support/app';
import { ADMIN_ENV, ADMIN_SECRET, adminToken, api, seedDemo, tokenRequest } from '../support/oauth';

const DataSourceToken = getDataSourceToken() as unknown as new () => DataSource;

describe('audit log: events, filters, hash chain', () => {
  let app: TestApp;
  let creds: Record<string, DemoCredential>;
  let admin: string;
  let db: DataSource;
  const flush = () => app.app.get(AuditService).flush();

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    creds = await seedDemo(app);
    admin = await adminToken(app);
    db = app.app.get(DataSourceToken);
  });
  afterAll(() => app?.stop());

  it('a token request and an API call leave events carrying request id and jti', async () => {
    const requestId = 'audit-test-req-1';
    const res = await tokenRequest(
      app,
      { grant_type: 'client_credentials' },
      {
        id: 'demo-salesperson',
        secret: creds.salesperson.client_secret,
        headers: { 'x-request-id': requestId, 'user-agent': 'audit-test/1.0' },
      },
    );
    const token = res.body.access_token as string;
    const jti = decodeJwt(token).jti!;
    const call = await api(app, `/customers/${demoCustomerId(1)}`, token, {
      headers: { 'x-request-id': 'audit-test-req-2' },
    });
    expect(call.status).toBe(200);
    await flush();

    const issued = await api(app, `/admin/audit?request_id=${requestId}`, admin);
    expect(issued.status).toBe(200);
    const types = issued.body.data.map((e: { type: string }) => e.type).sort();
    expect(types).toEqual(['client.authenticated', 'token.issued']);
    const tokenEvent = issued.body.data.find((e: { type: string }) => e.type === 'token.issued');
    expect(tokenEvent).toMatchObject({
      outcome: 'success',
      client_id: 'demo-salesperson',
      subject: 'demo-salesperson',
      jti,
      request_id: requestId,
      ip: '127.0.0.1',
      user_agent: 'audit-test/1.0',
      details: { grant_type: 'client_credentials', scope: 'customers:profile customers:read' },
    });

    const used = await api(app, `/admin/audit?jti=${jti}&type=api.call`, admin);
    expect(used.body.data).toHaveLength(1);
    expect(used.body.data[0]).toMatchObject({
      outcome: 'success',
      request_id: 'audit-test-req-2',
      jti,
      details: {
        decision: 'allowed',
        method: 'GET',
        path: '/customers/:id',
        scopes_used: ['customers:read'],
      },
    });
  });

  it('records refused calls and failed client authentication with the reason, never the secret', async () => {
    await tokenRequest(
      app,
      { grant_type: 'client_credentials' },
      {
        id: 'demo-viewer',
        secret: 'definitely-wrong-secret',
        headers: { 'x-request-id': 'audit-bad-secret' },
      },
    );
    await api(app, '/customers', undefined, { headers: { 'x-request-id': 'audit-no-token' } });
    await flush();
    const failed = await api(app, '/admin/audit?request_id=audit-bad-secret', admin);
    expect(failed.body.data[0]).toMatchObject({
      type: 'client.authentication_failed',
      outcome: 'failure',
      client_id: 'demo-viewer',
      details: { reason: 'wrong secret' },
    });
    expect(JSON.stringify(failed.body)).not.toContain('definitely-wrong-secret');
    const denied = await api(app, '/admin/audit?request_id=audit-no-token', admin);
    expect(denied.body.data[0]).toMatchObject({
      type: 'api.call',
      outcome: 'denied',
      details: { reason: 'invalid_token', status: 401 },
    });
  });

  it('records admin changes with the acting client', async () => {
    const created = await api(app, '/admin/clients', admin, {
      method: 'POST',
      body: { client_name: 'audited', role: 'viewer' },
      headers: { 'x-request-id': 'audit-admin-create' },
    });
    const events = await api(
      app,
      '/admin/audit?request_id=audit-admin-create&type=admin.client.created',
      admin,
    );
    expect(events.body.data[0]).toMatchObject({
      actor: 'test-admin',
      subject: created.body.client_id,
      outcome: 'success',
    });
    expect(JSON.stringify(events.body)).not.toContain(created.body.client_secret);
  });

  it('filters by type, client, time range, and paginates with a cursor', async () => {
    const all = await api(app, '/admin/audit?client_id=demo-salesperson&limit=200', admin);
    expect(all.body.data.length).toBeGreaterThan(1);
    for (const e of all.body.data) expect(e.client_id).toBe('demo-salesperson');
    const future = await api(
      app,
      `/admin/audit?since=${new Date(Date.now() + 3_600_000).toISOString()}`,
      admin,
    );
    expect(future.body.data).toEqual([]);
    const past = await api(app, `/admin/audit?until=2000-01-01T00:00:00Z`, admin);
    expect(past.body.data).toEqual([]);

    await flush();
    const maxBefore = Number((await db.query('SELECT max(id) AS m FROM audit_events'))[0].m);
    const ids: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await api(app, `/admin/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`, admin);
      ids.push(...page.body.data.map((e: { id: number }) => e.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    // Events written while paging (the listing calls themselves) are newer than the first page.
    expect(ids.filter((i) => i <= maxBefore).sort((a, b) => a - b)).toEqual(
      Array.from({ length: maxBefore }, (_, i) => i + 1),
    );
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each([
    ['bad since', '/admin/audit?since=yesterday'],
    ['bad limit', '/admin/audit?limit=1000'],
    ['bad cursor', '/admin/audit?cursor=abc'],
  ])('%s → 400', async (_n, path) => {
    expect((await api(app, path, admin)).status).toBe(400);
  });

  it('is admin-only', async () => {
    const viewer = await api(
      app,
      '/admin/audit',
      (
        await tokenRequest(
          app,
          { grant_type: 'client_credentials' },
          { id: 'demo-viewer', secret: creds.viewer.client_secret },
        )
      ).body.access_token as string,
    );
    expect(viewer.status).toBe(403);
  });

  it('verify finds an edited row, and a removed row, by id', async () => {
    await flush();
    const ok = await api(app, '/admin/audit/verify', admin);
    expect(ok.body).toMatchObject({ ok: true });
    expect(ok.body.checked).toBeGreaterThan(5);

    const [{ id, details }] = await db.query(
      `SELECT id, details FROM audit_events WHERE type = 'token.issued' ORDER BY id LIMIT 1`,
    );
    await db.query(
      `UPDATE audit_events SET details = jsonb_set(details, '{scope}', '"customers:banking"') WHERE id = $1`,
      [id],
    );
    // Incremental verify starts at the checkpoint the first verify recorded; full=true re-checks older rows.
    const edited = await api(app, '/admin/audit/verify?full=true', admin);
    expect(edited.body).toMatchObject({ ok: false, first_broken_id: Number(id) });

    // Restore that row; remove a later one instead: verify names the missing id.
    await db.query('UPDATE audit_events SET details = $2::jsonb WHERE id = $1', [
      id,
      JSON.stringify(details),
    ]);
    expect((await api(app, '/admin/audit/verify?full=true', admin)).body.ok).toBe(true);
    const victim = Number(id) + 3;
    await db.query('DELETE FROM audit_events WHERE id = $1', [victim]);
    const removed = await api(app, '/admin/audit/verify?full=true', admin);
    expect(removed.body).toMatchObject({
      ok: false,
      first_broken_id: victim,
      first_bad: { id: victim, reason: 'removed' },
    });
  });

  it('no secret, API key or token string is stored in the audit table', async () => {
    const keyed = await api(app, '/admin/clients', admin, {
      method: 'POST',
      body: { client_name: 'scan', role: 'viewer', require_api_key: true },
    });
    const t = await tokenRequest(
      app,
      { grant_type: 'client_credentials' },
      {
        id: keyed.body.client_id,
        secret: keyed.body.client_secret,
        headers: { 'x-api-key': keyed.body.api_key },
      },
    );
    await api(app, '/customers?limit=1', t.body.access_token as string);
    await flush();
    const dump = JSON.stringify(await db.query('SELECT * FROM audit_events'));
    const secrets = [
      ADMIN_SECRET,
      admin,
      keyed.body.client_secret,
      keyed.body.api_key,
      t.body.access_token as string,
      ...Object.values(creds).map((c) => c.client_secret),
    ];
    for (const s of secrets) expect(dump.includes(s)).toBe(false);
  });
});
