import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientsService } from '../../src/clients/clients.service';
import { startTestApp, type TestApp } from '../support/app';
import { ADMIN_ENV, adminToken, api, basic, seedDemo, tokenRequest } from '../support/oauth';

/** POST /auth authenticates clients exactly as the token endpoint does (RFC 6749 §2.3). */
describe('POST /auth — client authentication is the token endpoint’s', () => {
  let app: TestApp;
  let admin: string;

  const register = async (body: Record<string, unknown>) => {
    const res = await api(app, '/admin/clients', admin, {
      method: 'POST',
      body: { role: 'viewer', simple_login: true, ...body },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { client_id: string; client_secret: string };
  };
  const auth = async (headers: Record<string, string>) => {
    const r = await fetch(`${app.url}/auth`, { method: 'POST', headers });
    return { status: r.status, headers: r.headers, body: (await r.json()) as Record<string, unknown> };
  };
  const failures = async (requestId: string) =>
    (await api(app, `/admin/audit?type=client.authentication_failed&request_id=${requestId}`, admin)).body
      .data as { client_id: string | null; details: Record<string, unknown> }[];

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    await seedDemo(app);
    admin = await adminToken(app);
  });
  afterAll(() => app?.stop());

  it('a client registered with client_secret_post cannot log in with HTTP Basic', async () => {
    const post = await register({
      client_name: 'Posts its secret',
      token_endpoint_auth_method: 'client_secret_post',
    });
    const res = await auth({
      authorization: basic(post.client_id, post.client_secret),
      'x-request-id': 'auth-post-client-basic',
    });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'invalid_client', error_description: 'Client authentication failed' });
    expect(res.headers.get('authorization')).toBeNull();
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(await failures('auth-post-client-basic')).toEqual([
      expect.objectContaining({
        client_id: post.client_id,
        details: {
          reason: 'client registered client_secret_post, used client_secret_basic',
          via: 'auth',
        },
      }),
    ]);

    // The token endpoint answers the same request the same way, and takes the registered method.
    const token = await tokenRequest(
      app,
      { grant_type: 'client_credentials' },
      { id: post.client_id, secret: post.client_secret },
    );
    expect(token.status).toBe(401);
    expect(token.body).toEqual(res.body);
    const posted = await tokenRequest(
      app,
      { grant_type: 'client_credentials' },
      { id: post.client_id, secret: post.client_secret, auth: 'post' },
    );
    expect(posted.status).toBe(200);
  });

  it('a Basic client logs in, audited as client.authenticated with its method', async () => {
    const client = await register({ client_name: 'Basic client' });
    const res = await auth({
      authorization: basic(client.client_id, client.client_secret),
      'x-request-id': 'auth-basic-client',
    });
    expect(res.status).toBe(200);
    const events = await api(app, '/admin/audit?request_id=auth-basic-client', admin);
    expect(events.body.data).toContainEqual(
      expect.objectContaining({
        type: 'client.authenticated',
        client_id: client.client_id,
        details: { method: 'client_secret_basic', with_api_key: false, via: 'auth' },
      }),
    );
  });

  it('a client without the client_credentials grant is refused, and audited', async () => {
    const client = await register({
      client_name: 'Code only',
      grant_types: ['authorization_code'],
      redirect_uris: ['https://app.example/cb'],
    });
    const res = await auth({
      authorization: basic(client.client_id, client.client_secret),
      'x-request-id': 'auth-no-cc-grant',
    });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
    expect(await failures('auth-no-cc-grant')).toEqual([
      expect.objectContaining({
        client_id: client.client_id,
        details: { reason: 'client without client_credentials', via: 'auth' },
      }),
    ]);
  });

  it('a client id with characters that Basic form-encodes (+, %) logs in, as at the token endpoint', async () => {
    // Ids are free-form for bootstrap clients (ADMIN_CLIENT_ID); RFC 6749 §2.3.1 form-encodes them.
    const id = 'ops+sync%team';
    const secret = 'a-bootstrap-secret-of-at-least-32-characters';
    await app.app
      .get(ClientsService)
      .ensure(
        { client_name: 'Ops sync', role: 'viewer', grant_types: ['client_credentials'], simple_login: true },
        id,
        secret,
      );
    const res = await auth({ authorization: basic(id, secret) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers.get('authorization')).toMatch(/^Bearer /);
    const token = await tokenRequest(app, { grant_type: 'client_credentials' }, { id, secret });
    expect(token.status).toBe(200);
  });
});
