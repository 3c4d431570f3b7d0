import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoCredential } from '../../src/demo/seeds/demo-seeder';
import { demoCustomerId } from '../../src/demo/seeds/demo-customers';
import { startTestApp, type TestApp } from '../support/app';
import { accessToken, ADMIN_ENV, adminToken, api, basic, seedDemo } from '../support/oauth';

/** Hostile JSON, nulls, odd identifiers and dates: a standard 4xx in the endpoint's own shape, never a 500. */
describe('hostile input', () => {
  let app: TestApp;
  let admin: string;
  let creds: Record<string, DemoCredential>;
  let viewerAuth: string;

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    creds = await seedDemo(app);
    admin = await adminToken(app);
    viewerAuth = basic(creds.viewer.client_id, creds.viewer.client_secret);
  });
  afterAll(() => app?.stop());

  const raw = (method: string, path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${app.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  /** RFC 6749 §5.2 shape with Cache-Control: no-store. */
  async function expectOAuth400(res: Response): Promise<void> {
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.error).toBe('invalid_request');
    expect(typeof body.error_description).toBe('string');
  }

  /** Nest's 400 shape. */
  async function expectNest400(res: Response, mentioning?: string): Promise<void> {
    expect(res.status).toBe(400);
    const body = (await res.json()) as { statusCode: number; message: unknown; error: string };
    expect(body.statusCode).toBe(400);
    expect(body.error).toBe('Bad Request');
    if (mentioning) expect(JSON.stringify(body.message)).toContain(mentioning);
  }

  const oauthPosts = (body: string) =>
    [
      ['/oauth/token', () => raw('POST', '/oauth/token', body, { authorization: viewerAuth })],
      ['/oauth/introspect', () => raw('POST', '/oauth/introspect', body, { authorization: viewerAuth })],
      ['/oauth/revoke', () => raw('POST', '/oauth/revoke', body, { authorization: viewerAuth })],
      ['/oauth/authorize (login form)', () => raw('POST', '/oauth/authorize', body)],
    ] as const;

  describe('a lone UTF-16 surrogate in a JSON body is refused at the edge', () => {
    const body = '{"grant_type":"client_credentials","token":"a\\ud800b","scope":"x\\udc00"}';
    it.each(oauthPosts(body))('%s: 400 invalid_request', async (_path, call) => {
      await expectOAuth400(await call());
    });

    it('a lone surrogate in a key, not only in a value', async () => {
      await expectOAuth400(
        await raw('POST', '/oauth/token', '{"grant_type":"client_credentials","\\ud800":"x"}', {
          authorization: viewerAuth,
        }),
      );
    });

    it.each([
      ['POST', '/admin/clients', '{"client_name":"a\\ud800"}'],
      [
        'POST',
        '/admin/users',
        '{"username":"surrogate","password":"plum tractor elbow 42","name":"\\udfff"}',
      ],
      ['POST', '/admin/scopes', '{"name":"x:y","description":"\\ud800"}'],
    ])('%s %s: Nest 400', async (method, path, json) => {
      await expectNest400(await raw(method, path, json, { authorization: `Bearer ${admin}` }));
    });

    it('a well-formed surrogate pair still passes', async () => {
      const res = await raw('POST', '/admin/clients', '{"client_name":"emoji \\ud83d\\ude00"}', {
        authorization: `Bearer ${admin}`,
      });
      expect(res.status).toBe(201);
      expect(((await res.json()) as { client_name: string }).client_name).toBe('emoji 😀');
    });
  });

  describe('null for an optional field is a 400 naming the field', () => {
    async function expectNullsRefused(path: string, fields: string[], token = admin): Promise<void> {
      for (const field of fields) {
        const res = await raw('PATCH', path, `{"${field}":null}`, { authorization: `Bearer ${token}` });
        await expectNest400(res, field);
      }
    }

    it('POST /admin/clients {"client_name":null}', async () => {
      const res = await raw('POST', '/admin/clients', '{"client_name":null}', {
        authorization: `Bearer ${admin}`,
      });
      await expectNest400(res, 'client_name');
    });

    it('PATCH /admin/clients/:id with null fields', async () => {
      const c = await api(app, '/admin/clients', admin, { method: 'POST', body: { client_name: 'nulls' } });
      expect(c.status).toBe(201);
      await expectNullsRefused(`/admin/clients/${c.body.client_id}`, [
        'client_name',
        'redirect_uris',
        'scope',
      ]);
    });

    it('POST and PATCH /admin/users with a null email', async () => {
      const created = await raw(
        'POST',
        '/admin/users',
        '{"username":"nullmail","password":"plum tractor elbow 42","email":null}',
        { authorization: `Bearer ${admin}` },
      );
      await expectNest400(created, 'email');
      const ok = await api(app, '/admin/users', admin, {
        method: 'POST',
        body: { username: 'nullmail', password: 'plum tractor elbow 42' },
      });
      expect(ok.status).toBe(201);
      await expectNullsRefused(`/admin/users/${ok.body.id}`, ['email', 'name', 'roles']);
    });

    it('null stays accepted where the API documents it (a scope without claim category)', async () => {
      const created = await api(app, '/admin/scopes', admin, {
        method: 'POST',
        body: { name: 'nullable:check', claim_category: 'banking' },
      });
      expect(created.status).toBe(201);
      const res = await raw('PATCH', '/admin/scopes/nullable:check', '{"claim_category":null}', {
        authorization: `Bearer ${admin}`,
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { claim_category: unknown }).claim_category).toBeNull();
    });

    it('PATCH /customers/:id with null fields', async () => {
      const token = await accessToken(app, creds.admin.client_id, creds.admin.client_secret);
      await expectNullsRefused(`/customers/${demoCustomerId(3)}`, ['name', 'email', 'age', 'city'], token);
    });
  });

  describe('amounts with more than two decimals, in any notation, are a 400 naming the field', () => {
    it.each([
      ['balance', '1e-7'],
      ['balance', '-4e-323'],
      ['credit_limit', '5e-324'],
      ['credit_limit', '1.005'],
      ['balance', '0.30000000000000004'],
    ])('PATCH /customers/:id {"%s":%s}', async (field, amount) => {
      const token = await accessToken(app, creds.admin.client_id, creds.admin.client_secret);
      const res = await raw('PATCH', `/customers/${demoCustomerId(2)}`, `{"${field}":${amount}}`, {
        authorization: `Bearer ${token}`,
      });
      await expectNest400(res, field);
    });

    it.each([
      ['balance', '-1520.75', -1520.75],
      ['credit_limit', '1e3', 1000],
      ['credit_limit', '0.1', 0.1],
    ])('PATCH /customers/:id {"%s":%s} still works', async (field, amount, stored) => {
      const token = await accessToken(app, creds.admin.client_id, creds.admin.client_secret);
      const res = await raw('PATCH', `/customers/${demoCustomerId(2)}`, `{"${field}":${amount}}`, {
        authorization: `Bearer ${token}`,
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as Record<string, unknown>)[field]).toBe(stored);
    });
  });

  describe('JSON nested deeper than the bound is refused at parse time', () => {
    const deep = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    it.each(oauthPosts(deep(5000)))('%s: 400 invalid_request', async (_path, call) => {
      await expectOAuth400(await call());
    });
    it.each([
      ['POST', '/admin/clients'],
      ['POST', '/admin/users'],
    ])('%s %s: Nest 400', async (method, path) => {
      await expectNest400(await raw(method, path, deep(5000), { authorization: `Bearer ${admin}` }));
    });
    it('arrays count too', async () => {
      await expectNest400(
        await raw('POST', '/admin/clients', `{"redirect_uris":${'['.repeat(5000)}${']'.repeat(5000)}}`, {
          authorization: `Bearer ${admin}`,
        }),
      );
    });
  });

  describe('a token id that is not a UUID is a 404', () => {
    const NOT_UUIDS = [
      'a'.repeat(36),
      '-'.repeat(36),
      '0123456789abcdef0123-4567-89ab-cdef0',
      'z'.repeat(36),
    ];
    it.each(NOT_UUIDS)('GET and DELETE /admin/tokens/%s', async (jti) => {
      expect((await api(app, `/admin/tokens/${jti}`, admin)).status).toBe(404);
      expect((await api(app, `/admin/tokens/${jti}`, admin, { method: 'DELETE' })).status).toBe(404);
    });
  });

  describe('odd date forms in the audit filters are a 400', () => {
    it.each([
      'since=2026-W05-1',
      'until=2026-W05',
      'since=2026-123',
      'since=%2B002026-01-01',
      'until=2026-01-01T25:00:00Z',
      'since=2026-02-30',
      'since=20260101',
      'until=2026-01-01T00:00:00.123456789012Z',
    ])('GET /admin/audit?%s', async (query) => {
      await expectNest400(
        await fetch(`${app.url}/admin/audit?${query}`, { headers: { authorization: `Bearer ${admin}` } }),
      );
    });

    it.each(['since=2026-01-01', 'since=2026-01-01T00:00:00Z', 'until=2026-12-31T23:59:59.999%2B02:00'])(
      'GET /admin/audit?%s still works',
      async (query) => {
        expect((await api(app, `/admin/audit?${query}`, admin)).status).toBe(200);
      },
    );
  });

  describe('duplicate JSON keys in a protocol request are refused like repeated parameters', () => {
    it('/oauth/token: a repeated scope', async () => {
      const res = await raw(
        'POST',
        '/oauth/token',
        '{"grant_type":"client_credentials","scope":"admin","scope":"customers:read"}',
        { authorization: viewerAuth },
      );
      await expectOAuth400(res);
    });

    it.each(['/oauth/introspect', '/oauth/revoke'])('%s: a repeated token', async (path) => {
      const res = await raw('POST', path, '{"token":"a","token":"b"}', { authorization: viewerAuth });
      await expectOAuth400(res);
    });

    it('even when the duplicate is spelt with an escape', async () => {
      const res = await raw(
        'POST',
        '/oauth/token',
        '{"grant_type":"client_credentials","scope":"a","sc\\u006fpe":"b"}',
        {
          authorization: viewerAuth,
        },
      );
      await expectOAuth400(res);
    });

    it('the same key in two different objects is no duplicate', async () => {
      const res = await raw(
        'POST',
        '/admin/clients',
        '{"client_name":"dup-free","redirect_uris":["https://a.example/cb"],"x":{"client_name":1}}',
        { authorization: `Bearer ${admin}` },
      );
      // refused for the unknown property x, not for a duplicate
      await expectNest400(res, 'x');
    });

    it('a JSON token request without duplicates still works', async () => {
      const res = await raw(
        'POST',
        '/oauth/token',
        '{"grant_type":"client_credentials","scope":"customers:read"}',
        {
          authorization: viewerAuth,
        },
      );
      expect(res.status).toBe(200);
    });
  });

  describe('simple login (POST /auth) refuses unreadable requests in the token endpoint shape', () => {
    it('an empty JSON body', async () => {
      await expectOAuth400(await raw('POST', '/auth', ''));
    });
    it('a NUL in the query', async () => {
      await expectOAuth400(await raw('POST', '/auth?x=%00', '{}'));
    });
  });

  describe("requests Node's HTTP parser refuses before routing answer in RFC 6749 §5.2 shape", () => {
    /** Writes raw bytes on a socket of its own and returns what came back before the server closed it. */
    const rawHttp = (bytes: string) =>
      new Promise<string>((resolve, reject) => {
        const { hostname, port } = new URL(app.url);
        const socket = connect(Number(port), hostname, () => socket.end(bytes));
        let answer = '';
        socket.setEncoding('latin1');
        socket.on('data', (chunk: string) => (answer += chunk));
        socket.on('close', () => resolve(answer));
        socket.on('error', reject);
      });
    const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as unknown;

    it('a request target beyond the header size limit: 431', async () => {
      const res = await fetch(`${app.url}/oauth/token?x=${'x'.repeat(20_000)}`, { method: 'POST' });
      expect(res.status).toBe(431);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = (await res.json()) as Record<string, unknown>;
      expect(body.error).toBe('invalid_request');
      expect(typeof body.error_description).toBe('string');
    });

    it('a malformed request line: 400', async () => {
      const answer = await rawHttp('GET /oauth/token HTTP/1.1 extra\r\nHost: x\r\n\r\n');
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(bodyOf(answer)).toMatchObject({ error: 'invalid_request' });
    });
  });

  describe('Cache-Control: no-store on responses carrying secrets or personal data', () => {
    it('client creation, secret and API-key rotation, client reads', async () => {
      const c = await api(app, '/admin/clients', admin, {
        method: 'POST',
        body: { client_name: 'cached', require_api_key: true },
      });
      expect(c.status).toBe(201);
      expect(c.headers.get('cache-control')).toBe('no-store');
      const id = c.body.client_id as string;
      for (const [method, path] of [
        ['POST', `/admin/clients/${id}/secret`],
        ['POST', `/admin/clients/${id}/api-key`],
        ['GET', `/admin/clients/${id}`],
        ['GET', '/admin/clients'],
      ]) {
        const res = await api(app, path, admin, { method });
        expect(res.status, `${method} ${path}`).toBeLessThan(300);
        expect(res.headers.get('cache-control'), `${method} ${path}`).toBe('no-store');
      }
    });

    it('users admin responses', async () => {
      const u = await api(app, '/admin/users', admin, {
        method: 'POST',
        body: { username: 'cacheduser', password: 'plum tractor elbow 42', email: 'c@example.com' },
      });
      expect(u.status).toBe(201);
      expect(u.headers.get('cache-control')).toBe('no-store');
      for (const [method, path, body] of [
        ['GET', `/admin/users/${u.body.id}`],
        ['GET', '/admin/users'],
        ['PATCH', `/admin/users/${u.body.id}`, { name: 'Cached User' }],
      ] as [string, string, unknown?][]) {
        const res = await api(app, path, admin, { method, body });
        expect(res.status, `${method} ${path}`).toBe(200);
        expect(res.headers.get('cache-control'), `${method} ${path}`).toBe('no-store');
      }
    });

    it('customers API responses', async () => {
      const token = await accessToken(app, creds.admin.client_id, creds.admin.client_secret);
      for (const [method, path, body] of [
        ['GET', '/customers'],
        ['GET', `/customers/${demoCustomerId(4)}`],
        ['PATCH', `/customers/${demoCustomerId(4)}`, { city: 'Lyon' }],
      ] as [string, string, unknown?][]) {
        const res = await api(app, path, token, { method, body });
        expect(res.status, `${method} ${path}`).toBe(200);
        expect(res.headers.get('cache-control'), `${method} ${path}`).toBe('no-store');
      }
    });
  });
});
