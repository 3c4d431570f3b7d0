import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app';
import { authorizeFlow, pkcePair, refreshAsDemoSpa, seedDelegation, CALLBACK } from '../support/delegation';
import { ADMIN_ENV, adminToken, api, basic, seedDemo, tokenRequest } from '../support/oauth';

const ORDERS = 'https://orders.example';
const BILLING = 'https://billing.example/api';

describe('APIs and audiences (RFC 8707 resource indicators)', () => {
  let app: TestApp;
  let admin: string;
  let password: string;
  let ordersId: string;
  let rs: { client_id: string; client_secret: string };
  let worker: { client_id: string; client_secret: string };

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    await seedDemo(app);
    password = await seedDelegation(app);
    admin = await adminToken(app);
  });
  afterAll(() => app?.stop());

  const call = (path: string, init: Parameters<typeof api>[3] = {}) => api(app, path, admin, init);

  describe('admin API: claim categories, single role scopes, APIs', () => {
    it('creates a claim category (the first step of adding a protected resource), refuses a duplicate', async () => {
      const created = await call('/admin/claim-categories', {
        method: 'POST',
        body: { name: 'pricing', description: 'Prices', fields: ['total_price', 'items[].unit_price'] },
      });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        name: 'pricing',
        description: 'Prices',
        fields: ['total_price', 'items[].unit_price'],
        granted_by: [],
      });
      expect(
        (await call('/admin/claim-categories', { method: 'POST', body: { name: 'pricing' } })).status,
      ).toBe(409);
      const bad = await call('/admin/claim-categories', {
        method: 'POST',
        body: { name: 'x', fields: ['a..b'] },
      });
      expect(bad.status).toBe(400);
      const listed = await call('/admin/claim-categories');
      expect(listed.body.map((c: { name: string }) => c.name)).toEqual(
        expect.arrayContaining(['pricing', 'profile', 'address', 'banking']),
      );
    });

    it('creates the scopes of the new API, one granting the new category', async () => {
      for (const body of [
        { name: 'orders:read' },
        { name: 'orders:pricing', claim_category: 'pricing' },
        { name: 'billing:read' },
      ]) {
        expect((await call('/admin/scopes', { method: 'POST', body })).status).toBe(201);
      }
      expect((await call('/admin/claim-categories/pricing')).body.granted_by).toEqual(['orders:pricing']);
      const refused = await call('/admin/claim-categories/pricing', { method: 'DELETE' });
      expect(refused.status).toBe(409);
      expect(refused.body.message).toContain('orders:pricing');
    });

    it('adds and removes one scope of a role without touching the others', async () => {
      const before = (await call('/admin/roles/viewer')).body.scopes as string[];
      const added = await call('/admin/roles/viewer/scopes', {
        method: 'POST',
        body: { scope: 'orders:read' },
      });
      expect(added.status).toBe(200);
      expect(added.body.scopes).toEqual([...before, 'orders:read'].sort());
      // Adding it again changes nothing.
      const again = await call('/admin/roles/viewer/scopes', {
        method: 'POST',
        body: { scope: 'orders:read' },
      });
      expect(again.body.scopes).toEqual(added.body.scopes);
      const removed = await call('/admin/roles/viewer/scopes/orders:read', { method: 'DELETE' });
      expect(removed.status).toBe(200);
      expect(removed.body.scopes).toEqual([...before].sort());
      expect((await call('/admin/roles/viewer/scopes/orders:read', { method: 'DELETE' })).status).toBe(404);
      expect(
        (await call('/admin/roles/nope/scopes', { method: 'POST', body: { scope: 'orders:read' } })).status,
      ).toBe(404);
      expect(
        (await call('/admin/roles/viewer/scopes', { method: 'POST', body: { scope: 'no:such' } })).status,
      ).toBe(400);
    });

    it.skipIf(!process.env.TEST_DATABASE_URL)(
      'answers 400, not 500, when the scope is deleted while it is being added to a role',
      async () => {
        expect((await call('/admin/scopes', { method: 'POST', body: { name: 'race:x' } })).status).toBe(201);
        const other = new Client({ connectionString: app.db.url });
        await other.connect();
        try {
          // The delete holds the scope row until it commits; the addition passes its check meanwhile
          // and then waits for that row in the database.
          await other.query('BEGIN');
          await other.query(`DELETE FROM scopes WHERE name = 'race:x'`);
          const adding = call('/admin/roles/viewer/scopes', { method: 'POST', body: { scope: 'race:x' } });
          await new Promise((r) => setTimeout(r, 500));
          await other.query('COMMIT');
          const res = await adding;
          expect(res.status).toBe(400);
          expect((await call('/admin/roles/viewer')).body.scopes).not.toContain('race:x');
        } finally {
          await other.end();
        }
      },
    );

    it('keeps both of two concurrent single-scope additions', async () => {
      const results = await Promise.all(
        ['orders:read', 'orders:pricing'].map((scope) =>
          call('/admin/roles/salesperson/scopes', { method: 'POST', body: { scope } }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual([200, 200]);
      const role = await call('/admin/roles/salesperson');
      expect(role.body.scopes).toEqual(
        expect.arrayContaining(['orders:read', 'orders:pricing', 'customers:read']),
      );
    });

    it('registers an API with its scopes and resource-server clients, and validates every field', async () => {
      const client = async (body: Record<string, unknown>) => {
        const res = await call('/admin/clients', {
          method: 'POST',
          body: { client_name: 'c', grant_types: ['client_credentials'], ...body },
        });
        expect(res.status).toBe(201);
        return res.body as { client_id: string; client_secret: string };
      };
      rs = await client({ client_name: 'orders-api', role: 'resource-server' });
      worker = await client({
        client_name: 'orders worker',
        scope: 'orders:read orders:pricing billing:read customers:read',
      });

      const post = (body: Record<string, unknown>) => call('/admin/apis', { method: 'POST', body });
      const valid = { identifier: ORDERS, name: 'Orders', scopes: ['orders:read', 'orders:pricing'] };
      for (const identifier of [
        'orders',
        'https://orders.example#x',
        'https://orders.example?a=1',
        'https://ordérs.example',
      ]) {
        const res = await post({ ...valid, identifier });
        expect(res.status, identifier).toBe(400);
        expect(JSON.stringify(res.body)).toContain('identifier');
      }
      expect((await post({ ...valid, scopes: ['orders:read', 'no:such'] })).body.message).toContain(
        'no:such',
      );
      const notRs = await post({ ...valid, resource_server_clients: [worker.client_id] });
      expect(notRs.status).toBe(400);
      expect(notRs.body.message).toContain('scopegate:resource-server');
      expect((await post({ ...valid, resource_server_clients: ['ghost'] })).status).toBe(400);
      expect((await post({ ...valid, identifier: app.config.ACCESS_TOKEN_AUDIENCE })).status).toBe(409);

      const created = await post({ ...valid, resource_server_clients: [rs.client_id] });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        ...valid,
        scopes: ['orders:pricing', 'orders:read'],
        resource_server_clients: [rs.client_id],
      });
      ordersId = created.body.id;
      expect((await post(valid)).status).toBe(409);
      const billing = await post({ identifier: BILLING, name: 'Billing', scopes: ['billing:read'] });
      expect(billing.status).toBe(201);

      expect((await call(`/admin/apis/${ordersId}`)).body.identifier).toBe(ORDERS);
      expect((await call('/admin/apis')).body.map((a: { identifier: string }) => a.identifier)).toEqual([
        BILLING,
        ORDERS,
      ]);
      expect((await call('/admin/apis/not-a-uuid')).status).toBe(404);
      const patched = await call(`/admin/apis/${ordersId}`, {
        method: 'PATCH',
        body: { name: 'Orders API' },
      });
      // A PATCH changes only what it names.
      expect(patched.body).toMatchObject({
        name: 'Orders API',
        scopes: ['orders:pricing', 'orders:read'],
        resource_server_clients: [rs.client_id],
      });
      expect(
        (
          await call(`/admin/apis/${ordersId}`, {
            method: 'PATCH',
            body: { identifier: 'https://x.example' },
          })
        ).status,
      ).toBe(400);
      // A scope that belongs to an API cannot be deleted from under it.
      expect((await call('/admin/scopes/billing:read', { method: 'DELETE' })).status).toBe(409);

      const events = await call(`/admin/audit?type=admin.api.created`);
      expect(events.body.data.map((e: { subject: string }) => e.subject)).toEqual(
        expect.arrayContaining([ORDERS, BILLING]),
      );
    });
  });

  describe('token endpoint', () => {
    const cc = (params: Record<string, string>, resources: string[] = []) => {
      const body = new URLSearchParams({ grant_type: 'client_credentials', ...params });
      for (const r of resources) body.append('resource', r);
      return fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic(worker.client_id, worker.client_secret),
        },
        body,
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));
    };

    it('mints a token for one API: aud is its identifier, scopes are only its scopes', async () => {
      const res = await cc({}, [ORDERS]);
      expect(res.status).toBe(200);
      expect(res.body.scope).toBe('orders:pricing orders:read');
      const claims = decodeJwt(res.body.access_token);
      expect(claims.aud).toBe(ORDERS);
      expect(claims.scope).toBe('orders:pricing orders:read');
    });

    it('mints a token for two APIs (repeated resource): aud lists both, scopes are the union', async () => {
      const res = await cc({}, [ORDERS, BILLING]);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(decodeJwt(res.body.access_token).aud).toEqual([ORDERS, BILLING]);
      expect(res.body.scope).toBe('billing:read orders:pricing orders:read');
      const json = await fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: basic(worker.client_id, worker.client_secret),
        },
        body: JSON.stringify({
          grant_type: 'client_credentials',
          resource: [BILLING],
          scope: 'billing:read',
        }),
      });
      expect(json.status).toBe(200);
      expect(decodeJwt(((await json.json()) as { access_token: string }).access_token).aud).toBe(BILLING);
    });

    it('refuses a scope outside the API (invalid_scope), and without resource keeps the default audience', async () => {
      const outside = await cc({ scope: 'orders:read customers:read' }, [ORDERS]);
      expect(outside.status).toBe(400);
      expect(outside.body.error).toBe('invalid_scope');
      const plain = await cc({ scope: 'customers:read orders:read' });
      expect(plain.status).toBe(200);
      expect(decodeJwt(plain.body.access_token).aud).toBe(app.config.ACCESS_TOKEN_AUDIENCE);
    });

    it('answers invalid_target for an unknown, malformed or excessive resource', async () => {
      for (const resources of [
        ['https://unknown.example'],
        ['https://orders.example#frag'],
        ['not a uri'],
        ['/relative'],
        [ORDERS, 'https://unknown.example'],
        Array.from({ length: 11 }, (_, i) => `https://r${i}.example`),
      ]) {
        const res = await cc({}, resources);
        expect(res.status, resources.join(' ')).toBe(400);
        expect(res.body.error).toBe('invalid_target');
      }
      // Other parameters still may not repeat (RFC 6749 §3.2).
      const body = new URLSearchParams('grant_type=client_credentials&scope=orders:read&scope=orders:read');
      const dup = await fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic(worker.client_id, worker.client_secret),
        },
        body,
      });
      expect(((await dup.json()) as { error: string }).error).toBe('invalid_request');
    });

    it("refuses a token for another API at Scopegate's own resources; introspection shows its audience", async () => {
      const { body } = await cc({ scope: 'customers:read' }, [app.config.ACCESS_TOKEN_AUDIENCE, ORDERS]);
      const both = body.access_token as string;
      expect((await api(app, '/customers?limit=1', both)).status).toBe(200);

      const ordersOnly = (await cc({}, [ORDERS])).body.access_token as string;
      const refused = await api(app, '/customers?limit=1', ordersOnly);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(refused.headers.get('www-authenticate')).toContain('not meant for this resource');

      const introspected = await fetch(`${app.url}/oauth/introspect`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic(worker.client_id, worker.client_secret),
        },
        body: new URLSearchParams({ token: ordersOnly }),
      });
      const answer = (await introspected.json()) as Record<string, unknown>;
      expect(answer).toMatchObject({ active: true, aud: ORDERS, scope: 'orders:pricing orders:read' });

      // Verified once by introspection (any audience), it is still refused by our own resources.
      expect((await api(app, '/customers?limit=1', ordersOnly)).status).toBe(401);

      // Revocation (RFC 7009) works for tokens of any audience; the record shows the audience.
      const { jti } = decodeJwt(ordersOnly);
      const revoked = await fetch(`${app.url}/oauth/revoke`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic(worker.client_id, worker.client_secret),
        },
        body: new URLSearchParams({ token: ordersOnly }),
      });
      expect(revoked.status).toBe(200);
      const record = await call(`/admin/tokens/${jti}`);
      expect(record.body.aud).toEqual([ORDERS]);
      expect(record.body.revoked_at).toBeTypeOf('string');
    });

    it('lets a resource server introspect the tokens of the APIs it serves, and only those', async () => {
      const introspect = async (token: string, as: { client_id: string; client_secret: string }) =>
        (await (
          await fetch(`${app.url}/oauth/introspect`, {
            method: 'POST',
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              authorization: basic(as.client_id, as.client_secret),
            },
            body: new URLSearchParams({ token }),
          })
        ).json()) as Record<string, unknown>;
      const forOrders = (await cc({}, [ORDERS])).body.access_token as string;
      const forBilling = (await cc({}, [BILLING])).body.access_token as string;
      const forDefault = (await cc({ scope: 'customers:read' })).body.access_token as string;
      expect(await introspect(forOrders, rs)).toMatchObject({
        active: true,
        aud: ORDERS,
        client_id: worker.client_id,
      });
      expect(await introspect(forBilling, rs)).toEqual({ active: false });
      expect(await introspect(forDefault, rs)).toEqual({ active: false });
      // A resource-server client that serves no API sees nothing but its own tokens.
      const other = await call('/admin/clients', {
        method: 'POST',
        body: { client_name: 'idle rs', grant_types: ['client_credentials'], role: 'resource-server' },
      });
      expect(await introspect(forOrders, other.body)).toEqual({ active: false });
    });

    it('serves the claims catalog to resource servers only', async () => {
      const rsToken = (
        await tokenRequest(
          app,
          { grant_type: 'client_credentials' },
          { id: rs.client_id, secret: rs.client_secret },
        )
      ).body.access_token as string;
      expect(decodeJwt(rsToken).scope).toBe('scopegate:resource-server');
      const catalog = await api(app, '/resource-server/catalog', rsToken);
      expect(catalog.status).toBe(200);
      expect(catalog.body.scope_categories).toMatchObject({
        'orders:pricing': ['pricing'],
        'customers:profile': ['profile'],
      });
      expect(catalog.body.scope_categories['orders:read']).toBeUndefined();
      expect(catalog.body.categories).toEqual(expect.arrayContaining(['pricing', 'profile']));
      const denied = await api(
        app,
        '/resource-server/catalog',
        (await cc({}, [app.config.ACCESS_TOKEN_AUDIENCE])).body.access_token,
      );
      expect(denied.status).toBe(403);
    });

    it('records usage reported by a resource server once per batch, only for the APIs it serves', async () => {
      const rsToken = (
        await tokenRequest(
          app,
          { grant_type: 'client_credentials' },
          { id: rs.client_id, secret: rs.client_secret },
        )
      ).body.access_token as string;
      const forOrders = (await cc({}, [ORDERS])).body.access_token as string;
      const forDefault = (await cc({ scope: 'customers:read' })).body.access_token as string;
      const jti = decodeJwt(forOrders).jti as string;
      const batch = {
        batch_id: randomUUID(),
        events: [
          {
            jti,
            method: 'GET',
            path: '/orders/:id',
            route: 'orders',
            status: 200,
            decision: 'allowed',
            scopes_used: ['orders:read'],
            request_id: 'rs-req-1',
            ip: '203.0.113.7',
          },
          {
            jti: decodeJwt(forDefault).jti,
            method: 'GET',
            path: '/orders',
            status: 200,
            decision: 'allowed',
          },
        ],
      };
      const report = () => api(app, '/resource-server/usage', rsToken, { method: 'POST', body: batch });
      const first = await report();
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ status: 'recorded', accepted: 1, rejected: 1 });
      const retried = await report();
      expect(retried.body).toEqual({ status: 'duplicate', accepted: 0, rejected: 1 });

      const events = await call(`/admin/audit?jti=${jti}&type=api.call`);
      expect(events.body.data).toHaveLength(1);
      expect(events.body.data[0]).toMatchObject({
        type: 'api.call',
        outcome: 'success',
        client_id: worker.client_id,
        request_id: 'rs-req-1',
        ip: '203.0.113.7',
        details: {
          audience: ORDERS,
          reported_by: rs.client_id,
          path: '/orders/:id',
          route: 'orders',
          scopes_used: ['orders:read'],
        },
      });
      const usage = await call(`/admin/tokens/${jti}`);
      expect(usage.body.usage.calls).toBe(1);

      expect(
        (
          await api(app, '/resource-server/usage', rsToken, {
            method: 'POST',
            body: { batch_id: 'x', events: [] },
          })
        ).status,
      ).toBe(400);
      const workerToken = (await cc({}, [app.config.ACCESS_TOKEN_AUDIENCE])).body.access_token as string;
      expect(
        (await api(app, '/resource-server/usage', workerToken, { method: 'POST', body: batch })).status,
      ).toBe(403);
    });

    it('advertises resource indicators in the metadata', async () => {
      const meta = (await (
        await fetch(`${app.url}/.well-known/oauth-authorization-server`)
      ).json()) as Record<string, unknown>;
      expect(meta.resource_indicators_supported).toBe(true);
      expect(meta.scopes_supported).toEqual(
        expect.arrayContaining(['scopegate:resource-server', 'orders:read']),
      );
    });
  });

  describe('authorization code and refresh', () => {
    const authorize = (extra: Record<string, string>) => {
      const { verifier, challenge } = pkcePair();
      return authorizeFlow(
        app,
        {
          response_type: 'code',
          client_id: 'demo-spa',
          redirect_uri: CALLBACK,
          scope: 'openid customers:read customers:profile',
          state: 's1',
          code_challenge: challenge,
          code_challenge_method: 'S256',
          ...extra,
        },
        { username: 'demo', password },
      ).then((r) => ({ ...r, verifier }));
    };
    const exchange = (code: string, verifier: string, resource?: string) =>
      fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: CALLBACK,
          client_id: 'demo-spa',
          code_verifier: verifier,
          ...(resource ? { resource } : {}),
        }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));

    let crmId: string;
    const CRM = 'https://crm.example';

    beforeAll(async () => {
      const res = await call('/admin/apis', {
        method: 'POST',
        body: { identifier: CRM, name: 'CRM', scopes: ['customers:profile'] },
      });
      crmId = res.body.id;
    });

    it('sends an unknown resource back as invalid_target (RFC 8707 §2)', async () => {
      const { verifier: _v, challenge } = pkcePair();
      const page = await fetch(
        `${app.url}/oauth/authorize?${new URLSearchParams({
          response_type: 'code',
          client_id: 'demo-spa',
          redirect_uri: CALLBACK,
          scope: 'customers:read',
          state: 'st',
          code_challenge: challenge,
          code_challenge_method: 'S256',
          resource: 'https://unknown.example',
        })}`,
        { redirect: 'manual' },
      );
      expect(page.status).toBe(303);
      const location = new URL(page.headers.get('location')!);
      expect(location.searchParams.get('error')).toBe('invalid_target');
      expect(location.searchParams.get('state')).toBe('st');
    });

    it('binds the code to the resource: the token is for that API only; the ID token is still issued', async () => {
      const { redirect, verifier } = await authorize({ resource: CRM });
      const code = redirect.searchParams.get('code')!;
      const res = await exchange(code, verifier);
      expect(res.status).toBe(200);
      expect(res.body.scope).toBe('customers:profile');
      expect(decodeJwt(res.body.access_token).aud).toBe(CRM);
      expect(res.body.id_token).toBeTypeOf('string');

      // A refresh may keep the resource, but never move to one the grant did not name.
      const other = await refreshAsDemoSpa(app, res.body.refresh_token, { resource: ORDERS });
      expect(other.status).toBe(400);
      expect(other.body.error).toBe('invalid_target');
      const same = await refreshAsDemoSpa(app, res.body.refresh_token, { resource: CRM });
      expect(same.status).toBe(200);
      expect(decodeJwt(same.body.access_token).aud).toBe(CRM);
      const implicit = await refreshAsDemoSpa(app, same.body.refresh_token);
      expect(decodeJwt(implicit.body.access_token).aud).toBe(CRM);
      expect(implicit.body.scope).toBe('customers:profile');
    });

    it('refuses a token request for a resource the authorization request did not name', async () => {
      const { redirect, verifier } = await authorize({ resource: CRM });
      const res = await exchange(redirect.searchParams.get('code')!, verifier, ORDERS);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_target');
      // The error left the code unused: the right request still works.
      expect((await exchange(redirect.searchParams.get('code')!, verifier)).status).toBe(200);
    });

    it('without resource keeps the default audience, and a refresh cannot add an API', async () => {
      const { redirect, verifier } = await authorize({});
      const res = await exchange(redirect.searchParams.get('code')!, verifier);
      expect(decodeJwt(res.body.access_token).aud).toBe(app.config.ACCESS_TOKEN_AUDIENCE);
      const widened = await refreshAsDemoSpa(app, res.body.refresh_token, { resource: CRM });
      expect(widened.body.error).toBe('invalid_target');
    });

    it('refuses new tokens for a deleted API', async () => {
      const { redirect, verifier } = await authorize({ resource: CRM });
      expect((await call(`/admin/apis/${crmId}`, { method: 'DELETE' })).status).toBe(204);
      const res = await exchange(redirect.searchParams.get('code')!, verifier);
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('invalid_target');
    });
  });
});
