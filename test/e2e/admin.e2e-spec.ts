import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
const DS = getDataSourceToken() as unknown as new () => DataSource;
import type { DemoCredential } from '../../src/demo/seeds/demo-seeder';
import { startTestApp, type TestApp } from '../support/app';
import { accessToken, ADMIN_ENV, adminToken, api, seedDemo, tokenRequest } from '../support/oauth';

describe('admin API (scope admin)', () => {
  let app: TestApp;
  let admin: string;
  let creds: Record<string, DemoCredential>;

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    creds = await seedDemo(app);
    admin = await adminToken(app);
  });
  afterAll(() => app?.stop());

  describe('/admin/clients', () => {
    it('creates a client (RFC 7591 fields), shows the secret once, stores only a keyed hash', async () => {
      const res = await api(app, '/admin/clients', admin, {
        method: 'POST',
        body: {
          client_name: 'Billing sync',
          role: 'manager',
          scope: 'customers:read customers:address',
          require_api_key: true,
          access_token_ttl: 120,
        },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        client_id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
        client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        client_secret_expires_at: 0,
        api_key: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        client_id_issued_at: expect.any(Number),
        client_name: 'Billing sync',
        grant_types: ['client_credentials'],
        token_endpoint_auth_method: 'client_secret_basic',
        scope: 'customers:address customers:read',
        role: 'manager',
        require_api_key: true,
        access_token_ttl: 120,
        status: 'active',
      });
      const got = await api(app, `/admin/clients/${res.body.client_id}`, admin);
      expect(got.status).toBe(200);
      expect(got.body).not.toHaveProperty('client_secret');
      expect(got.body).not.toHaveProperty('api_key');
      const [row] = await app.app
        .get(DS)
        .query('SELECT secret_hash, api_key_hash FROM clients WHERE client_id = $1', [res.body.client_id]);
      expect(row.secret_hash).toHaveLength(32);
      expect(row.secret_hash.toString('utf8')).not.toContain(res.body.client_secret);

      // Explicit scope narrows the role: customers:profile is in the role, not in the client's list.
      const t = await tokenRequest(
        app,
        { grant_type: 'client_credentials' },
        {
          id: res.body.client_id,
          secret: res.body.client_secret,
          headers: { 'x-api-key': res.body.api_key },
        },
      );
      expect(t.body.scope).toBe('customers:address customers:read');
      expect(t.body.expires_in).toBe(120);
    });

    it.each([
      ['missing client_name', { role: 'viewer' }],
      ['unknown role', { client_name: 'x', role: 'ghost' }],
      ['scope outside the role', { client_name: 'x', role: 'viewer', scope: 'customers:banking' }],
      ['unknown scope', { client_name: 'x', scope: 'nope' }],
      ['unsupported grant type', { client_name: 'x', grant_types: ['password'] }],
      ['public client with client_credentials', { client_name: 'x', token_endpoint_auth_method: 'none' }],
      ['ttl too long', { client_name: 'x', access_token_ttl: 7200 }],
      ['http redirect to a public host', { client_name: 'x', redirect_uris: ['http://evil.example/cb'] }],
      ['redirect with fragment', { client_name: 'x', redirect_uris: ['https://app.example/cb#x'] }],
      ['unknown field', { client_name: 'x', is_admin: true }],
    ])('refuses %s with 400', async (_n, body) => {
      const res = await api(app, '/admin/clients', admin, { method: 'POST', body });
      expect(res.status).toBe(400);
    });

    it('lists with cursor pagination', async () => {
      const first = await api(app, '/admin/clients?limit=2', admin);
      expect(first.body.data).toHaveLength(2);
      const second = await api(app, `/admin/clients?limit=2&cursor=${first.body.next_cursor}`, admin);
      expect(second.body.data[0].client_id > first.body.data[1].client_id).toBe(true);
    });

    it('updates, disables and enables a client; unknown id is 404', async () => {
      const c = await api(app, '/admin/clients', admin, {
        method: 'POST',
        body: { client_name: 'c1', role: 'viewer' },
      });
      const upd = await api(app, `/admin/clients/${c.body.client_id}`, admin, {
        method: 'PATCH',
        body: { role: 'salesperson', client_name: 'c1b' },
      });
      expect(upd.status).toBe(200);
      expect(upd.body).toMatchObject({ role: 'salesperson', client_name: 'c1b' });
      const token = await accessToken(app, c.body.client_id, c.body.client_secret);
      expect(token).toBeTruthy();
      expect(
        (await api(app, `/admin/clients/${c.body.client_id}/disable`, admin, { method: 'POST' })).body.status,
      ).toBe('disabled');
      expect(
        (
          await tokenRequest(
            app,
            { grant_type: 'client_credentials' },
            { id: c.body.client_id, secret: c.body.client_secret },
          )
        ).status,
      ).toBe(401);
      expect(
        (await api(app, `/admin/clients/${c.body.client_id}/enable`, admin, { method: 'POST' })).body.status,
      ).toBe('active');
      expect(
        (
          await tokenRequest(
            app,
            { grant_type: 'client_credentials' },
            { id: c.body.client_id, secret: c.body.client_secret },
          )
        ).status,
      ).toBe(200);
      for (const [method, path] of [
        ['GET', '/admin/clients/ghost'],
        ['PATCH', '/admin/clients/ghost'],
        ['POST', '/admin/clients/ghost/disable'],
        ['POST', '/admin/clients/ghost/secret'],
      ]) {
        expect(
          (
            await api(app, path, admin, {
              method,
              body: method === 'PATCH' ? { client_name: 'x' } : undefined,
            })
          ).status,
        ).toBe(404);
      }
    });

    it('issues a new API key; the old one stops working at once', async () => {
      const c = await api(app, '/admin/clients', admin, {
        method: 'POST',
        body: { client_name: 'k', role: 'viewer', require_api_key: true },
      });
      const rotated = await api(app, `/admin/clients/${c.body.client_id}/api-key`, admin, { method: 'POST' });
      const req = (key: string) =>
        tokenRequest(
          app,
          { grant_type: 'client_credentials' },
          { id: c.body.client_id, secret: c.body.client_secret, headers: { 'x-api-key': key } },
        );
      expect((await req(c.body.api_key)).status).toBe(401);
      expect((await req(rotated.body.api_key)).status).toBe(200);
    });

    it('is refused without the admin scope (403) and without a token (401)', async () => {
      const manager = await accessToken(app, 'demo-manager', creds.manager.client_secret);
      expect((await api(app, '/admin/clients', manager)).status).toBe(403);
      expect((await api(app, '/admin/clients', undefined)).status).toBe(401);
    });
  });

  describe('/admin/scopes and /admin/roles', () => {
    it('creates a scope for a claim category and a role bundling it', async () => {
      const s = await api(app, '/admin/scopes', admin, {
        method: 'POST',
        body: { name: 'customers:banking-read', description: 'Banking, read', claim_category: 'banking' },
      });
      expect(s.status).toBe(201);
      const r = await api(app, '/admin/roles', admin, {
        method: 'POST',
        body: { name: 'auditor', scopes: ['customers:read', 'customers:banking-read'] },
      });
      expect(r.status).toBe(201);
      expect(r.body.scopes).toEqual(['customers:banking-read', 'customers:read']);
      const c = await api(app, '/admin/clients', admin, {
        method: 'POST',
        body: { client_name: 'auditor app', role: 'auditor' },
      });
      const token = await accessToken(app, c.body.client_id, c.body.client_secret);
      const docs = (await (await fetch(`${app.url}/docs-json`)).json()) as any;
      expect(docs.components.securitySchemes.oauth2.flows.clientCredentials.scopes).toHaveProperty(
        'customers:banking-read',
      );
      expect(docs.components.schemas.CustomerDto.properties.iban.description).toContain(
        'customers:banking-read',
      );
      const customer = await api(app, '/customers?limit=1', token);
      expect(Object.keys(customer.body.data[0]).sort()).toEqual([
        'balance',
        'created_at',
        'credit_limit',
        'iban',
        'id',
      ]);
    });

    it('refuses bad input and conflicts', async () => {
      expect(
        (await api(app, '/admin/scopes', admin, { method: 'POST', body: { name: 'customers:read' } })).status,
      ).toBe(409);
      expect(
        (await api(app, '/admin/scopes', admin, { method: 'POST', body: { name: 'bad scope' } })).status,
      ).toBe(400);
      expect(
        (
          await api(app, '/admin/scopes', admin, {
            method: 'POST',
            body: { name: 'x:y', claim_category: 'nope' },
          })
        ).status,
      ).toBe(400);
      expect(
        (await api(app, '/admin/roles', admin, { method: 'POST', body: { name: 'r1', scopes: ['nope'] } }))
          .status,
      ).toBe(400);
      expect((await api(app, '/admin/roles/viewer', admin, { method: 'DELETE' })).status).toBe(409);
      expect((await api(app, '/admin/scopes/customers:read', admin, { method: 'DELETE' })).status).toBe(409);
      expect((await api(app, '/admin/roles/ghost', admin)).status).toBe(404);
      expect((await api(app, '/admin/scopes/ghost', admin)).status).toBe(404);
    });

    it('updates and deletes an unused role and scope', async () => {
      await api(app, '/admin/scopes', admin, { method: 'POST', body: { name: 'tmp:scope' } });
      await api(app, '/admin/roles', admin, { method: 'POST', body: { name: 'tmp', scopes: ['tmp:scope'] } });
      const upd = await api(app, '/admin/roles/tmp', admin, {
        method: 'PATCH',
        body: { scopes: ['customers:read'] },
      });
      expect(upd.body.scopes).toEqual(['customers:read']);
      expect((await api(app, '/admin/roles/tmp', admin, { method: 'DELETE' })).status).toBe(204);
      expect((await api(app, '/admin/scopes/tmp:scope', admin, { method: 'DELETE' })).status).toBe(204);
      const list = await api(app, '/admin/scopes', admin);
      expect(list.body.map((s: { name: string }) => s.name)).not.toContain('tmp:scope');
    });
  });
});
