import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app';
import { ADMIN_ENV, adminToken, api, basic, seedDemo } from '../support/oauth';

interface AuditRow {
  type: string;
  ip: string | null;
  client_id: string | null;
  details: Record<string, unknown>;
}

/**
 * Failed client authentication is limited per (client_id, address), per address and (loosely) per
 * client_id, shared by the instances; over a limit the answer is 429 + Retry-After without evaluating
 * the secret. Failures are audited as one event per address plus one aggregate per interval.
 */
describe('client authentication limits and failure audit', () => {
  let app: TestApp;
  let admin: string;
  let client: { client_id: string; client_secret: string };
  const INTERVAL = 2;

  beforeAll(async () => {
    app = await startTestApp({
      ...ADMIN_ENV,
      TRUST_PROXY: 'loopback',
      CLIENT_AUTH_MAX_FAILURES_PER_PAIR: '10',
      CLIENT_AUTH_MAX_FAILURES_PER_ADDRESS: '30',
      CLIENT_AUTH_MAX_FAILURES_PER_CLIENT: '40',
      CLIENT_AUTH_AUDIT_INTERVAL: String(INTERVAL),
    });
    const creds = await seedDemo(app);
    client = creds.manager;
    admin = await adminToken(app);
  });
  afterAll(() => app?.stop());

  const post = (
    path: string,
    id: string,
    secret: string,
    ip: string,
    body = 'grant_type=client_credentials',
  ) =>
    fetch(`${app.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: basic(id, secret),
        'content-type': 'application/x-www-form-urlencoded',
        'x-forwarded-for': ip,
      },
      body,
    });
  const failureRows = async (ip: string) => {
    const rows: AuditRow[] = [];
    for (const type of ['client.authentication_failed', 'client.authentication_failed.aggregated']) {
      const res = await api(app, `/admin/audit?type=${type}&limit=200`, admin);
      rows.push(...(res.body.data as AuditRow[]).filter((e) => e.ip === ip));
    }
    return rows;
  };

  it('200 wrong secrets from one address: 429 + Retry-After after the limit, and a bounded number of audit rows', async () => {
    const ip = '198.51.100.1';
    const statuses: number[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          post('/oauth/token', client.client_id, `wrong-${batch}-${i}`, ip),
        ),
      );
      for (const res of answers) {
        statuses.push(res.status);
        const body = (await res.json()) as Record<string, unknown>;
        expect(body.error).toBe('invalid_client');
        if (res.status === 429) {
          expect(res.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
          expect(body.error_description).toMatch(/Too many failed client authentication attempts/);
        } else expect(res.status).toBe(401);
      }
    }
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(10 + 20); // + one batch in flight
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(170);

    // The right secret from the limited address is refused without being evaluated ...
    const blocked = await post('/oauth/token', client.client_id, client.client_secret, ip);
    expect(blocked.status).toBe(429);
    // ... and served from another address (the limit is per address, not a lockout of the client).
    expect((await post('/oauth/token', client.client_id, client.client_secret, '198.51.100.2')).status).toBe(
      200,
    );

    // One event for the first failure, then one aggregate per interval with the count of the rest.
    const counted = (rows: AuditRow[]) =>
      rows.reduce((n, r) => n + (r.type.endsWith('.aggregated') ? Number(r.details.count) : 1), 0);
    const t0 = Date.now();
    let rows = await failureRows(ip);
    while (counted(rows) < 201 && Date.now() - t0 < 4 * INTERVAL * 1000) {
      await new Promise((r) => setTimeout(r, 200));
      rows = await failureRows(ip);
    }
    expect(counted(rows)).toBe(201);
    const intervals = Math.ceil((Date.now() - t0) / (INTERVAL * 1000)) + 3;
    expect(rows.length).toBeLessThanOrEqual(2 * intervals);
    expect(rows.length).toBeLessThan(20);
    expect(
      rows
        .filter((r) => r.type.endsWith('.aggregated'))
        .every((r) => r.details.interval_seconds === INTERVAL),
    ).toBe(true);
    expect(JSON.stringify(rows)).not.toContain('wrong-');
  });

  it('the per-address limit covers every client_id, revocation and introspection too', async () => {
    const ip = '198.51.100.3';
    for (let i = 0; i < 30; i++) {
      const path = ['/oauth/token', '/oauth/revoke', '/oauth/introspect'][i % 3];
      const res = await post(
        path,
        `no-such-client-${i}`,
        'x',
        ip,
        path === '/oauth/token' ? undefined : 'token=abc',
      );
      expect(res.status).toBe(401);
    }
    const res = await post('/oauth/introspect', client.client_id, client.client_secret, ip, 'token=abc');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    const viaAuth = await fetch(`${app.url}/auth`, {
      method: 'POST',
      headers: { authorization: basic(client.client_id, client.client_secret), 'x-forwarded-for': ip },
    });
    expect(viaAuth.status).toBe(429);
  });

  it('per client_id, across addresses: a looser limit, then that client is refused everywhere (the documented trade-off)', async () => {
    const creds = await api(app, '/admin/clients', admin, {
      method: 'POST',
      body: { client_name: 'Target', role: 'viewer' },
    });
    const target = creds.body as { client_id: string; client_secret: string };
    // 5 addresses × 8 failures: below the per-pair limit (10) everywhere, 40 for the client in all.
    for (let a = 0; a < 5; a++) {
      for (let i = 0; i < 8; i++) {
        expect((await post('/oauth/token', target.client_id, `guess-${i}`, `203.0.113.${a}`)).status).toBe(
          401,
        );
      }
    }
    const fresh = await post('/oauth/token', target.client_id, target.client_secret, '203.0.113.200');
    expect(fresh.status).toBe(429);
    // Other clients from that address are unaffected.
    expect((await post('/oauth/token', client.client_id, client.client_secret, '203.0.113.200')).status).toBe(
      200,
    );
  });
});
