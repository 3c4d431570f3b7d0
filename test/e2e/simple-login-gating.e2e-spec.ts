import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditService } from '../../src/audit/audit.service';
import { startTestApp, type TestApp } from '../support/app';
import { createUser, seedDelegation } from '../support/delegation';
import { ADMIN_ENV, adminToken, api, basic, seedDemo } from '../support/oauth';

const rawBasic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
const PASSWORD = 'orange kettle 93 bridge';

/**
 * POST /auth is a password grant (RFC 9700 §2.4): off in production unless SIMPLE_LOGIN says so, and
 * then only for the clients and users registered for it; an API key alone only for clients
 * registered with api_key_login.
 */
describe('POST /auth — who may use simple login', () => {
  let app: TestApp;
  let admin: string;
  let creds: Awaited<ReturnType<typeof seedDemo>>;
  let demoPassword: string;

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    creds = await seedDemo(app);
    demoPassword = await seedDelegation(app);
    admin = await adminToken(app);
  });
  afterAll(() => app?.stop());

  const auth = async (headers: Record<string, string>) => {
    const r = await fetch(`${app.url}/auth`, { method: 'POST', headers });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  const register = async (body: Record<string, unknown>) => {
    const res = await api(app, '/admin/clients', admin, {
      method: 'POST',
      body: { role: 'viewer', ...body },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { client_id: string; client_secret: string; api_key?: string; simple_login: boolean };
  };
  const audited = async (type: string, requestId: string) => {
    await app.app.get(AuditService).flush();
    return (await api(app, `/admin/audit?type=${type}&request_id=${requestId}`, admin)).body.data as {
      details: Record<string, unknown>;
    }[];
  };

  it('refuses a client not registered for simple login, though its secret is right (audited)', async () => {
    const plain = await register({ client_name: 'Not for /auth' });
    expect(plain.simple_login).toBe(false);
    const res = await auth({
      authorization: basic(plain.client_id, plain.client_secret),
      'x-request-id': 'sl-c1',
    });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed' });
    expect(await audited('client.authentication_failed', 'sl-c1')).toEqual([
      expect.objectContaining({ details: { reason: 'client not registered for simple login', via: 'auth' } }),
    ]);
    const enabled = await api(app, `/admin/clients/${plain.client_id}`, admin, {
      method: 'PATCH',
      body: { simple_login: true },
    });
    expect(enabled.status).toBe(200);
    expect(enabled.body.simple_login).toBe(true);
    expect((await auth({ authorization: basic(plain.client_id, plain.client_secret) })).status).toBe(200);
  });

  it('an API key alone only for a client registered with api_key_login; otherwise secret and key together', async () => {
    const keyed = await register({ client_name: 'Keyed', require_api_key: true, simple_login: true });
    const alone = await auth({ 'x-api-key': keyed.api_key!, 'x-request-id': 'sl-k1' });
    expect(alone.status).toBe(401);
    expect(await audited('client.authentication_failed', 'sl-k1')).toEqual([
      expect.objectContaining({
        details: { reason: 'client not registered for API-key login', via: 'auth' },
      }),
    ]);
    // As at the token endpoint: the secret without the key is refused, both together are accepted.
    expect((await auth({ authorization: basic(keyed.client_id, keyed.client_secret) })).status).toBe(401);
    expect(
      (
        await auth({
          authorization: basic(keyed.client_id, keyed.client_secret),
          'x-api-key': keyed.api_key!,
        })
      ).status,
    ).toBe(200);

    const gateway = await register({
      client_name: 'Gateway',
      require_api_key: true,
      simple_login: true,
      api_key_login: true,
    });
    expect((await auth({ 'x-api-key': gateway.api_key! })).status).toBe(200);
  });

  it('refuses api_key_login without an API key or without simple_login (400)', async () => {
    const noKey = await api(app, '/admin/clients', admin, {
      method: 'POST',
      body: { client_name: 'x', role: 'viewer', simple_login: true, api_key_login: true },
    });
    expect(noKey.status).toBe(400);
    const noSimple = await api(app, '/admin/clients', admin, {
      method: 'POST',
      body: { client_name: 'x', role: 'viewer', require_api_key: true, api_key_login: true },
    });
    expect(noSimple.status).toBe(400);
    const gateway = await register({
      client_name: 'Gateway 2',
      require_api_key: true,
      simple_login: true,
      api_key_login: true,
    });
    const keyOff = await api(app, `/admin/clients/${gateway.client_id}`, admin, {
      method: 'PATCH',
      body: { require_api_key: false },
    });
    expect(keyOff.status).toBe(400);
  });

  it('refuses a user not enabled for simple login exactly like a wrong password (audited)', async () => {
    const user = await createUser(app, admin, {
      username: 'no-simple',
      password: PASSWORD,
      roles: ['viewer'],
    });
    const refused = await auth({ authorization: rawBasic('no-simple', PASSWORD), 'x-request-id': 'sl-u1' });
    const wrong = await auth({ authorization: rawBasic('no-simple', 'not the password!') });
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual(wrong.body);
    expect(await audited('login.failed', 'sl-u1')).toEqual([
      expect.objectContaining({
        details: { username: 'no-simple', reason: 'simple login not enabled for the user', via: 'auth' },
      }),
    ]);
    expect(await audited('login.succeeded', 'sl-u1')).toEqual([]);

    const enabled = await api(app, `/admin/users/${user.id}`, admin, {
      method: 'PATCH',
      body: { simple_login: true },
    });
    expect(enabled.status).toBe(200);
    expect(enabled.body.simple_login).toBe(true);
    expect((await auth({ authorization: rawBasic('no-simple', PASSWORD) })).status).toBe(200);

    const created = await api(app, '/admin/users', admin, {
      method: 'POST',
      body: { username: 'with-simple', password: PASSWORD, roles: ['viewer'], simple_login: true },
    });
    expect(created.body.simple_login).toBe(true);
    expect((await auth({ authorization: rawBasic('with-simple', PASSWORD) })).status).toBe(200);
  });

  it('keeps the demo user and demo clients working', async () => {
    expect((await auth({ authorization: rawBasic('demo', demoPassword) })).status).toBe(200);
    expect(
      (await auth({ authorization: basic(creds.viewer.client_id, creds.viewer.client_secret) })).status,
    ).toBe(200);
  });
});

describe('POST /auth with SIMPLE_LOGIN=false', () => {
  let app: TestApp;
  let creds: Awaited<ReturnType<typeof seedDemo>>;
  beforeAll(async () => {
    app = await startTestApp({ ...ADMIN_ENV, SIMPLE_LOGIN: 'false' });
    creds = await seedDemo(app);
  });
  afterAll(() => app?.stop());

  it('answers 404 to everyone and is not in the OpenAPI document', async () => {
    const res = await fetch(`${app.url}/auth`, {
      method: 'POST',
      headers: { authorization: basic(creds.viewer.client_id, creds.viewer.client_secret) },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('authorization')).toBeNull();
    const doc = (await (await fetch(`${app.url}/docs-json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).not.toContain('/auth');
    // The token endpoint is unaffected.
    const token = await fetch(`${app.url}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: basic(creds.viewer.client_id, creds.viewer.client_secret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(token.status).toBe(200);
  });
});
