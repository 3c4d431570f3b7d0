import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startTestApp, type TestApp } from '../support/app';
import { FaultProxy } from '../support/fault-proxy';
import { KeysService } from '../../src/keys/keys.service';
import { ADMIN_ENV, adminToken, api, basic, tokenRequest } from '../support/oauth';
import { ORDERS_API_MAIN, spawnScript, waitForOk, type Spawned } from '../support/process';

const ORDERS = 'https://orders.example';
const BILLING = 'https://billing.example';

interface Credentials {
  client_id: string;
  client_secret: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Two processes on real ports: Scopegate (reached through a fault-injecting proxy, which is also its
 * issuer URL) and examples/orders-api, a separate Nest app protected only through @scopegate/nest.
 */
describe('@scopegate/nest protecting examples/orders-api (a separate process)', () => {
  let app: TestApp;
  let proxy: FaultProxy;
  let admin: string;
  let rs: Credentials;
  let reader: Credentials;
  let pricer: Credentials;
  let pricingOnly: Credentials;
  let billingClient: Credentials;
  let orders: Spawned;
  let ordersUrl: string;
  const extra: Spawned[] = [];

  const call = (path: string, init: Parameters<typeof api>[3] = {}) => api(app, path, admin, init);
  const client = async (body: Record<string, unknown>): Promise<Credentials> => {
    const res = await call('/admin/clients', {
      method: 'POST',
      body: { client_name: 'c', grant_types: ['client_credentials'], ...body },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as Credentials;
  };
  const tokenFor = async (c: Credentials, resource: string | null = ORDERS, scope?: string) => {
    const res = await tokenRequest(
      app,
      { grant_type: 'client_credentials', ...(resource ? { resource } : {}), ...(scope ? { scope } : {}) },
      { id: c.client_id, secret: c.client_secret },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.access_token as string;
  };
  const get = async (path: string, token?: string, base = ordersUrl) => {
    const res = await fetch(`${base}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };
  const revoke = (token: string, c: Credentials) =>
    fetch(`${app.url}/oauth/revoke`, {
      method: 'POST',
      headers: {
        authorization: basic(c.client_id, c.client_secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }),
    });
  /** Polls until the call answers `status`; the time it took. */
  const until = async (status: number, path: string, token: string, timeoutMs: number) => {
    const started = Date.now();
    for (;;) {
      const res = await get(path, token);
      if (res.status === status) return Date.now() - started;
      if (Date.now() - started > timeoutMs)
        throw new Error(`still ${res.status} after ${timeoutMs} ms: ${JSON.stringify(res.body)}`);
      await sleep(10);
    }
  };
  const spawnOrders = async (env: Record<string, string>) => {
    const port = await freePort();
    const proc = spawnScript(ORDERS_API_MAIN, {
      PORT: String(port),
      SCOPEGATE_ISSUER: proxy.url,
      SCOPEGATE_CLIENT_ID: rs.client_id,
      SCOPEGATE_CLIENT_SECRET: rs.client_secret,
      ORDERS_AUDIENCE: ORDERS,
      ...env,
    });
    extra.push(proc);
    await waitForOk(`http://127.0.0.1:${port}/health/live`);
    return { proc, url: `http://127.0.0.1:${port}` };
  };

  beforeAll(async () => {
    const proxyPort = await freePort();
    app = await startTestApp({
      ...ADMIN_ENV,
      ISSUER: `http://127.0.0.1:${proxyPort}`,
      KEY_PUBLISH_LEAD: '1',
    });
    proxy = await FaultProxy.start(proxyPort, app.url);
    admin = await adminToken(app);

    // What a team does to put its API behind Scopegate (README "Protect your own API").
    expect(
      (await call('/admin/claim-categories', { method: 'POST', body: { name: 'pricing' } })).status,
    ).toBe(201);
    for (const body of [
      { name: 'orders:read' },
      { name: 'orders:pricing', claim_category: 'pricing' },
      { name: 'billing:read' },
    ])
      expect((await call('/admin/scopes', { method: 'POST', body })).status).toBe(201);
    rs = await client({ client_name: 'orders-api', role: 'resource-server' });
    for (const body of [
      {
        identifier: ORDERS,
        name: 'Orders',
        scopes: ['orders:read', 'orders:pricing'],
        resource_server_clients: [rs.client_id],
      },
      { identifier: BILLING, name: 'Billing', scopes: ['billing:read'] },
    ])
      expect((await call('/admin/apis', { method: 'POST', body })).status).toBe(201);
    reader = await client({ client_name: 'reader', scope: 'orders:read' });
    pricer = await client({ client_name: 'pricer', scope: 'orders:read orders:pricing' });
    pricingOnly = await client({ client_name: 'pricing only', scope: 'orders:pricing' });
    billingClient = await client({ client_name: 'billing', scope: 'billing:read orders:read' });

    const port = await freePort();
    ordersUrl = `http://127.0.0.1:${port}`;
    orders = spawnScript(ORDERS_API_MAIN, {
      PORT: String(port),
      SCOPEGATE_ISSUER: proxy.url,
      SCOPEGATE_CLIENT_ID: rs.client_id,
      SCOPEGATE_CLIENT_SECRET: rs.client_secret,
      ORDERS_AUDIENCE: ORDERS,
    });
    await waitForOk(`${ordersUrl}/health/ready`, 30_000).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${orders.stdout()}\n${orders.stderr()}`);
    });
  }, 120_000);

  // A failed fault test leaves no fault behind for the next one.
  afterEach(async () => {
    proxy.stallFeed = false;
    proxy.refuseFeed = false;
    await proxy.up();
  });

  afterAll(async () => {
    for (const p of [orders, ...extra]) p?.child.kill('SIGTERM');
    await Promise.all([orders, ...extra].map((p) => p?.exited));
    await proxy?.stop();
    await app?.stop();
  });

  it('allows, refuses (RFC 6750) and filters fields by the token’s scopes', async () => {
    const none = await get('/orders');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="scopegate"');
    expect(none.body).toMatchObject({ error: 'invalid_token' });

    const forged = await get('/orders', 'not.a.jwt');
    expect(forged.status).toBe(401);
    expect(forged.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="scopegate", error="invalid_token"/,
    );
    expect(forged.headers.get('cache-control')).toBe('no-store');

    const read = await get('/orders/ord-1001', await tokenFor(reader));
    expect(read.status).toBe(200);
    expect(read.body).toEqual({
      id: 'ord-1001',
      customer: 'Ada Lovelace',
      status: 'shipped',
      lines: [
        { sku: 'PEN-42', quantity: 3 },
        { sku: 'INK-7', quantity: 1 },
      ],
      created_at: '2026-11-02T09:15:00Z',
    });
    const priced = await get('/orders', await tokenFor(pricer));
    expect(priced.status).toBe(200);
    expect(priced.body).toHaveLength(2);
    expect(priced.body[0]).toMatchObject({ total: '19.40', currency: 'EUR' });
    expect(priced.body[0].lines[0]).toEqual({ sku: 'PEN-42', quantity: 3, unit_price: '2.50' });

    const noRead = await get('/orders', await tokenFor(pricingOnly));
    expect(noRead.status).toBe(403);
    expect(noRead.body).toMatchObject({ error: 'insufficient_scope' });
    expect(noRead.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(noRead.headers.get('www-authenticate')).toContain('scope="orders:read"');

    expect((await get('/orders/ord-404', await tokenFor(reader))).status).toBe(404);
  });

  it('refuses a token meant for another audience (Scopegate’s own, another API)', async () => {
    const own = await get('/orders', await tokenFor(reader, null));
    expect(own.status).toBe(401);
    expect(own.body.error_description).toBe('The access token is not meant for this resource');
    const billing = await tokenFor(billingClient, BILLING, 'billing:read');
    expect(decodeJwt(billing).aud).toBe(BILLING);
    expect((await get('/orders', billing)).status).toBe(401);
  });

  it('sees a revocation within 1 s, without a request to Scopegate per call', async () => {
    const token = await tokenFor(pricer);
    expect((await get('/orders', token)).status).toBe(200);
    const since = Date.now();
    for (let i = 0; i < 5; i++) expect((await get('/orders', token)).status).toBe(200);
    expect(proxy.count('POST', '/oauth/introspect', since)).toBe(0);

    const revokedAt = Date.now();
    expect((await revoke(token, pricer)).status).toBe(200);
    const ms = await until(401, '/orders', token, 5000);
    const total = Date.now() - revokedAt;
    console.log(`revocation reached orders-api ${total} ms after the revoke request was sent`);
    expect(total).toBeLessThan(1000);
    expect(ms).toBeLessThan(1000);
    const refused = await get('/orders', token);
    expect(refused.body.error_description).toBe('The access token was revoked');
  });

  it('reports usage: the calls land in the audit log as api.call with the API’s audience', async () => {
    const token = await tokenFor(reader);
    const { jti } = decodeJwt(token);
    expect((await get('/orders/ord-1002', token)).status).toBe(200);
    expect((await get('/orders/ord-404', token)).status).toBe(404);
    let events: Record<string, any>[] = [];
    for (let i = 0; i < 50 && events.length < 2; i++) {
      await sleep(200);
      events = (await call(`/admin/audit?jti=${jti}&type=api.call`)).body.data;
    }
    expect(events).toHaveLength(2);
    const byStatus = Object.fromEntries(events.map((e) => [e.details.status, e]));
    expect(byStatus[200]).toMatchObject({
      type: 'api.call',
      outcome: 'success',
      client_id: reader.client_id,
      jti,
      details: {
        method: 'GET',
        path: '/orders/:id',
        decision: 'allowed',
        audience: ORDERS,
        reported_by: rs.client_id,
        scopes_used: ['orders:read'],
      },
    });
    expect(byStatus[404]).toMatchObject({ outcome: 'failure', details: { status: 404 } });
  });

  it('follows key rotation, and refuses a withdrawn key’s tokens at once', async () => {
    const before = await tokenFor(pricer);
    const oldKid = decodeProtectedHeader(before).kid!;
    expect((await get('/orders', before)).status).toBe(200);
    expect((await call('/admin/keys/rotate', { method: 'POST', body: {} })).status).toBe(200);
    await sleep(1100); // KEY_PUBLISH_LEAD: the new key signs once it has been published for 1 s
    await app.app.get(KeysService).maintain(); // what the periodic maintenance runs
    const after = await tokenFor(pricer);
    const newKid = decodeProtectedHeader(after).kid;
    expect(newKid).not.toBe(oldKid);
    expect((await get('/orders', after)).status).toBe(200);
    expect((await get('/orders', before)).status).toBe(200); // still published, still valid

    expect((await call(`/admin/keys/${oldKid}/revoke`, { method: 'POST' })).status).toBe(200);
    const ms = await until(401, '/orders', before, 3000);
    console.log(`a withdrawn signing key reached orders-api in ${ms} ms`);
    expect((await get('/orders', after)).status).toBe(200);
    admin = await adminToken(app);
  });

  it('fails closed while the feed is down: introspects each call, 503 when Scopegate is unreachable, then recovers', async () => {
    const good = await tokenFor(pricer);
    const doomed = await tokenFor(pricer);
    expect((await get('/orders', good)).status).toBe(200);

    proxy.refuseFeed = true;
    proxy.dropFeeds();
    await sleep(3500); // beyond the grace period
    const since = Date.now();
    expect((await get('/orders', good)).status).toBe(200);
    expect(proxy.count('POST', '/oauth/introspect', since)).toBe(1);
    // Revoked while the feed is down: introspection says so at once.
    expect((await revoke(doomed, pricer)).status).toBe(200);
    expect((await get('/orders', doomed)).status).toBe(401);

    await proxy.down();
    const away = await get('/orders', good);
    expect(away.status).toBe(503);
    expect(away.body).toMatchObject({ error: 'temporarily_unavailable' });
    expect(away.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await get('/health/ready')).status).toBe(503);

    await proxy.up();
    proxy.refuseFeed = false;
    await waitForOk(`${ordersUrl}/health/ready`, 20_000);
    const after = Date.now();
    for (let i = 0; i < 3; i++) expect((await get('/orders', good)).status).toBe(200);
    expect(proxy.count('POST', '/oauth/introspect', after)).toBe(0);
    expect((await get('/orders', doomed)).status).toBe(401);
  });

  it('detects a stalled feed by its missing heartbeats and does not trust it meanwhile', async () => {
    const token = await tokenFor(pricer);
    expect((await get('/orders', token)).status).toBe(200);
    const stalledAt = Date.now();
    proxy.stallFeed = true;
    // Revoked while the stream is silent: the revocation does not reach orders-api through the feed.
    expect((await revoke(token, pricer)).status).toBe(200);
    const ms = await until(401, '/orders', token, 15_000);
    console.log(`stalled feed: the revoked token was refused ${ms} ms after the stall began`);
    expect(ms).toBeLessThan(10_000); // one heartbeat interval (5 s) plus the stall allowance
    // orders-api replaced the silent connection.
    for (let i = 0; i < 30 && proxy.count('GET', '/resource-server/feed', stalledAt) === 0; i++)
      await sleep(100);
    expect(
      proxy.count('GET', '/resource-server/feed', stalledAt),
      orders.stdout() + orders.stderr() + JSON.stringify(proxy.requests.slice(-10)),
    ).toBeGreaterThanOrEqual(1);
    expect(orders.stdout() + orders.stderr()).toContain('revocation feed went silent');
    proxy.stallFeed = false;
    proxy.dropFeeds();
    await waitForOk(`${ordersUrl}/health/ready`, 20_000);
  });

  it('starts while Scopegate is unreachable: 503 and one log line, then works once it is back', async () => {
    await proxy.down();
    const late = await spawnOrders({});
    const token = await tokenFor(pricer);
    await sleep(2500);
    const res = await get('/orders', token, late.url);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ error: 'temporarily_unavailable' });
    const output = () => late.proc.stdout() + late.proc.stderr();
    const lines = output()
      .split('\n')
      .filter((l) => l.includes('not reachable'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`Scopegate at ${proxy.url} is not reachable (ECONNREFUSED)`);
    expect(output()).not.toMatch(/\n\s+at /); // no stack trace

    await proxy.up();
    await waitForOk(`${late.url}/health/ready`, 20_000).catch((err: unknown) => {
      throw new Error(`${String(err)}\n${output()}`);
    });
    expect((await get('/orders', token, late.url)).status).toBe(200);
  });

  it('a wrong client secret: one clear error line, and 503 rather than unchecked access', async () => {
    const wrong = await spawnOrders({ SCOPEGATE_CLIENT_SECRET: 'not-the-secret' });
    const token = await tokenFor(pricer);
    await sleep(2500);
    const res = await get('/orders', token, wrong.url);
    expect(res.status).toBe(503);
    const lines = (wrong.proc.stdout() + wrong.proc.stderr())
      .split('\n')
      .filter((l) => l.includes('invalid_client'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('Scopegate refused /oauth/token with 401 invalid_client');
    expect(lines[0]).not.toContain('not-the-secret');
  });
});
