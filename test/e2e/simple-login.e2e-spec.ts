import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCustomerId } from '../../src/demo/seeds/demo-customers';
import { startTestApp, type TestApp } from '../support/app';
import { createUser, seedDelegation } from '../support/delegation';
import { ADMIN_ENV, adminToken, api, basic, seedDemo } from '../support/oauth';

describe('POST /auth — simple login (user or client credentials, or X-API-Key)', () => {
  let app: TestApp;
  let admin: string;
  let creds: Awaited<ReturnType<typeof seedDemo>>;
  let keyed: { client_id: string; client_secret: string; api_key: string };

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    creds = await seedDemo(app);
    await seedDelegation(app);
    admin = await adminToken(app);
    keyed = (
      await api(app, '/admin/clients', admin, {
        method: 'POST',
        body: {
          client_name: 'Gateway',
          role: 'salesperson',
          require_api_key: true,
          simple_login: true,
          api_key_login: true,
        },
      })
    ).body;
    await createUser(app, admin, {
      username: 'Sam',
      password: 'p@ss:word with + and %',
      roles: ['salesperson'],
      simple_login: true,
    });
  });
  afterAll(() => app?.stop());

  const auth = (headers: Record<string, string>) =>
    fetch(`${app.url}/auth`, { method: 'POST', headers }).then(async (r) => ({
      status: r.status,
      headers: r.headers,
      body: (await r.json()) as Record<string, any>,
    }));
  const rawBasic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

  it("a user's credentials (raw RFC 7617 Basic, any characters) give a token in the Authorization header", async () => {
    const res = await auth({ authorization: rawBasic('sam', 'p@ss:word with + and %') });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const header = res.headers.get('authorization')!;
    expect(header).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(res.body).toEqual({
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'customers:profile customers:read email openid profile',
      transaction_id: res.headers.get('x-request-id'),
    });
    const token = header.slice(7);
    expect(decodeJwt(token)).toMatchObject({ client_id: 'scopegate:auth', txn: res.body.transaction_id });
    const customer = await api(app, `/customers/${demoCustomerId(0)}`, token);
    expect(customer.status).toBe(200);
    expect(customer.body).toHaveProperty('name');
    expect(customer.body).not.toHaveProperty('city');
  });

  it("a client's id and secret give a client token", async () => {
    const res = await auth({ authorization: basic(creds.viewer.client_id, creds.viewer.client_secret) });
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('customers:read');
    expect(decodeJwt(res.headers.get('authorization')!.slice(7))).toMatchObject({ sub: 'demo-viewer' });
  });

  it('an API key alone gives the client token; a client that requires a key needs it with Basic too', async () => {
    const res = await auth({ 'x-api-key': keyed.api_key });
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('customers:profile customers:read');
    expect(decodeJwt(res.headers.get('authorization')!.slice(7)).sub).toBe(keyed.client_id);
    const without = await auth({ authorization: basic(keyed.client_id, keyed.client_secret) });
    expect(without.status).toBe(401);
    const withKey = await auth({
      authorization: basic(keyed.client_id, keyed.client_secret),
      'x-api-key': keyed.api_key,
    });
    expect(withKey.status).toBe(200);
  });

  it.each([
    ['wrong user password', () => ({ authorization: rawBasic('sam', 'wrong password!') })],
    ['unknown user', () => ({ authorization: rawBasic('nobody', 'whatever-password') })],
    ['wrong client secret', () => ({ authorization: basic(creds.viewer.client_id, 'nope') })],
    ['unknown API key', () => ({ 'x-api-key': 'x'.repeat(43) })],
    ['no credentials', () => ({})],
    ['malformed Basic', () => ({ authorization: 'Basic !!!' })],
  ])('%s → 401 in the token endpoint error shape', async (_name, headers) => {
    const res = await auth(headers());
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
    expect(res.headers.get('authorization')).toBeNull();
  });

  it('audits user logins without passwords', async () => {
    const events = await api(app, '/admin/audit?type=login.failed&limit=50', admin);
    expect(events.body.data.some((e: any) => e.details.username === 'sam' && e.details.via === 'auth')).toBe(
      true,
    );
    const ok = await api(app, '/admin/audit?type=login.succeeded&limit=50', admin);
    expect(ok.body.data.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify([events.body, ok.body])).not.toContain('p@ss:word');
  });
});
