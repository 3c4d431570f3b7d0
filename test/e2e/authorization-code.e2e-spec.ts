import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCustomerId } from '../../src/demo/seeds/demo-customers';
import { startTestApp, type TestApp } from '../support/app';
import {
  authorizeFlow,
  Browser,
  CALLBACK,
  codeFlowTokens,
  createUser,
  hiddenFields,
  pkcePair,
  seedDelegation,
} from '../support/delegation';
import { ADMIN_ENV, adminToken, api, basic, seedDemo } from '../support/oauth';

describe('authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636, RFC 9700 §2.1, RFC 9207)', () => {
  let app: TestApp;
  let admin: string;
  let demoPassword: string;
  const auditTypes = async (type: string) =>
    (await api(app, `/admin/audit?type=${type}&limit=100`, admin)).body.data as Record<string, any>[];

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    await seedDemo(app);
    demoPassword = await seedDelegation(app);
    admin = await adminToken(app);
  });
  afterAll(() => app?.stop());

  const params = (over: Record<string, string | undefined> = {}) => {
    const { challenge } = pkcePair();
    const p: Record<string, string | undefined> = {
      response_type: 'code',
      client_id: 'demo-spa',
      redirect_uri: CALLBACK,
      scope: 'customers:read customers:profile',
      state: 'xyz',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...over,
    };
    return Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)) as Record<string, string>;
  };
  const get = (p: Record<string, string>) =>
    fetch(`${app.url}/oauth/authorize?${new URLSearchParams(p).toString()}`, { redirect: 'manual' });

  it('signs in, asks consent, redirects with code, state and iss; the token sees only consented fields', async () => {
    const browser = new Browser(app.url);
    const login = await browser.get(`/oauth/authorize?${new URLSearchParams(params()).toString()}`);
    expect(login.status).toBe(200);
    expect(login.headers.get('content-type')).toMatch(/^text\/html/);
    expect(login.headers.get('x-frame-options')).toBe('DENY');
    expect(login.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    expect(login.headers.get('access-control-allow-origin')).toBeNull();
    expect(login.headers.get('cache-control')).toBe('no-store');
    expect(login.headers.getSetCookie()[0]).toMatch(/^sg_session=.*; Path=\/oauth; .*HttpOnly; SameSite=Lax/);
    expect(login.html).toMatch(/<label for="username">Username<\/label>/);
    expect(login.html).toMatch(/<label for="password">Password<\/label>/);
    expect(hiddenFields(login.html).csrf_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(login.html).toContain('Demo single-page app');

    const { redirect, consentShown } = await authorizeFlow(app, params(), {
      username: 'DEMO', // usernames are case-insensitive
      password: demoPassword,
      browser: new Browser(app.url),
    });
    expect(consentShown).toBe(true);
    expect(`${redirect.origin}${redirect.pathname}`).toBe(CALLBACK);
    expect(redirect.searchParams.get('state')).toBe('xyz');
    expect(redirect.searchParams.get('iss')).toBe(app.config.ISSUER);
    expect(redirect.searchParams.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const tokens = await codeFlowTokens(app, {
      clientId: 'demo-spa',
      scope: 'customers:read customers:profile',
      username: 'demo',
      password: demoPassword,
    });
    expect(tokens.status).toBe(200);
    expect(tokens.body).toMatchObject({
      token_type: 'Bearer',
      scope: 'customers:profile customers:read',
      expires_in: 300,
      refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(tokens.body.id_token).toBeUndefined();
    const claims = decodeJwt(tokens.body.access_token);
    expect(claims).toMatchObject({ client_id: 'demo-spa', scope: 'customers:profile customers:read' });
    expect(claims.sub).toMatch(/^[0-9a-f-]{36}$/);

    const customer = await api(app, `/customers/${demoCustomerId(0)}`, tokens.body.access_token);
    expect(customer.status).toBe(200);
    expect(customer.body).toHaveProperty('name');
    expect(customer.body).not.toHaveProperty('city');
    expect(customer.body).not.toHaveProperty('iban');

    const types = (await auditTypes('code.issued')).length;
    expect(types).toBeGreaterThanOrEqual(2);
    expect((await auditTypes('consent.granted')).length).toBeGreaterThanOrEqual(1);
    expect((await auditTypes('login.succeeded')).length).toBeGreaterThanOrEqual(2);
    expect((await auditTypes('code.exchanged')).length).toBeGreaterThanOrEqual(1);
    const raw = JSON.stringify(await api(app, '/admin/audit?limit=200', admin));
    expect(raw).not.toContain(tokens.code);
    expect(raw).not.toContain(tokens.body.refresh_token);
    expect(raw).not.toContain(demoPassword);
  });

  it('remembers consent per user, client and scope set; more scopes ask again', async () => {
    const browser = new Browser(app.url);
    const first = await authorizeFlow(app, params({ scope: 'customers:read' }), {
      username: 'demo',
      password: demoPassword,
      browser,
    });
    expect(first.consentShown).toBe(false); // within the earlier consent
    // Same browser session: no login, no consent, straight back with a code.
    const again = await browser.get(`/oauth/authorize?${new URLSearchParams(params()).toString()}`);
    expect(again.status).toBe(303);
    expect(new URL(again.location!).searchParams.get('code')).toBeTruthy();
    const more = await browser.get(
      `/oauth/authorize?${new URLSearchParams(params({ scope: 'customers:read customers:address' })).toString()}`,
    );
    expect(more.status).toBe(200);
    expect(more.html).toContain('name="decision"');
    expect(more.html).toContain('customers:address');
    expect(more.html).toContain('street, city');
  });

  it('Deny returns access_denied with state and iss, and is audited', async () => {
    const { redirect } = await authorizeFlow(
      app,
      params({ scope: 'openid customers:read', state: 'deny-me' }),
      {
        username: 'demo',
        password: demoPassword,
        decision: 'deny',
      },
    );
    expect(redirect.searchParams.get('error')).toBe('access_denied');
    expect(redirect.searchParams.get('state')).toBe('deny-me');
    expect(redirect.searchParams.get('iss')).toBe(app.config.ISSUER);
    expect(redirect.searchParams.get('code')).toBeNull();
    expect((await auditTypes('consent.denied')).length).toBe(1);
  });

  it('a wrong password shows the login page again with an error, audited without the password', async () => {
    const browser = new Browser(app.url);
    const page = await browser.get(`/oauth/authorize?${new URLSearchParams(params()).toString()}`);
    const res = await browser.post('/oauth/authorize', {
      ...hiddenFields(page.html),
      username: 'demo',
      password: 'not-the-password-1',
    });
    expect(res.status).toBe(401);
    expect(res.html).toContain('Wrong username or password.');
    expect(res.html).toContain('role="alert"');
    const failed = await auditTypes('login.failed');
    expect(failed.some((e) => e.details.username === 'demo' && e.details.reason === 'wrong password')).toBe(
      true,
    );
    expect(JSON.stringify(failed)).not.toContain('not-the-password-1');
  });

  it('refuses a form without the CSRF token of the session', async () => {
    const browser = new Browser(app.url);
    const page = await browser.get(`/oauth/authorize?${new URLSearchParams(params()).toString()}`);
    const fields = hiddenFields(page.html);
    const res = await browser.post('/oauth/authorize', {
      ...fields,
      csrf_token: 'A'.repeat(43),
      username: 'demo',
      password: demoPassword,
    });
    expect(res.status).toBe(403);
    expect(res.location).toBeNull();
    const other = new Browser(app.url); // no session cookie at all
    const res2 = await other.post('/oauth/authorize', {
      ...fields,
      username: 'demo',
      password: demoPassword,
    });
    expect(res2.status).toBe(403);
  });

  it('throttles sign-in attempts per username', async () => {
    const user = await createUser(app, admin, {
      username: 'throttled',
      password: 'a perfectly fine passphrase',
      roles: ['viewer'],
    });
    expect(user.username).toBe('throttled');
    const browser = new Browser(app.url);
    const page = await browser.get(`/oauth/authorize?${new URLSearchParams(params()).toString()}`);
    let fields = hiddenFields(page.html);
    for (let i = 0; i < 5; i++) {
      const r = await browser.post('/oauth/authorize', {
        ...fields,
        username: 'throttled',
        password: `wrong ${i}`,
      });
      expect(r.status).toBe(401);
      fields = hiddenFields(r.html);
    }
    const blocked = await browser.post('/oauth/authorize', {
      ...fields,
      username: 'throttled',
      password: 'a perfectly fine passphrase',
    });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(blocked.html).toContain('Too many failed sign-in attempts');
  });

  describe('client and redirect URI errors show a page, never a redirect (RFC 9700 §4.1.1)', () => {
    it.each([
      ['unregistered redirect_uri', { redirect_uri: 'https://evil.example/callback' }],
      ['redirect_uri with a trailing slash', { redirect_uri: `${CALLBACK}/` }],
      ['redirect_uri with an extra query', { redirect_uri: `${CALLBACK}?x=1` }],
      ['unknown client', { client_id: 'no-such-client' }],
      ['missing client_id', { client_id: undefined }],
      ['redirect_uri omitted while several are registered', { redirect_uri: undefined }],
    ])('%s', async (_name, over) => {
      const res = await get(params(over));
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toContain('Invalid authorization request');
    });
  });

  describe('other errors go back to the client by 303 with error, state and iss', () => {
    it.each([
      ['missing PKCE', { code_challenge: undefined, code_challenge_method: undefined }, 'invalid_request'],
      ['plain PKCE', { code_challenge_method: 'plain' }, 'invalid_request'],
      ['PKCE without method', { code_challenge_method: undefined }, 'invalid_request'],
      ['response_type token', { response_type: 'token' }, 'unsupported_response_type'],
      ['missing response_type', { response_type: undefined }, 'invalid_request'],
      ['scope outside the client', { scope: 'customers:read customers:banking' }, 'invalid_scope'],
      ['malformed scope', { scope: 'a"b' }, 'invalid_scope'],
      ['prompt=none without a session', { prompt: 'none' }, 'login_required'],
    ])('%s → %s', async (_name, over, error) => {
      const res = await get(params(over));
      expect(res.status).toBe(303);
      const loc = new URL(res.headers.get('location')!);
      expect(`${loc.origin}${loc.pathname}`).toBe(CALLBACK);
      expect(loc.searchParams.get('error')).toBe(error);
      expect(loc.searchParams.get('error_description')).toBeTruthy();
      expect(loc.searchParams.get('state')).toBe('xyz');
      expect(loc.searchParams.get('iss')).toBe(app.config.ISSUER);
    });

    it('a repeated parameter is invalid_request', async () => {
      const qs = `${new URLSearchParams(params()).toString()}&scope=customers:read`;
      const res = await fetch(`${app.url}/oauth/authorize?${qs}`, { redirect: 'manual' });
      expect(res.status).toBe(303);
      expect(new URL(res.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
    });
  });

  describe('token endpoint checks of the code (RFC 6749 §4.1.3, RFC 7636 §4.6)', () => {
    const code = async (over: Record<string, string> = {}) => {
      const { verifier, challenge } = pkcePair();
      const { redirect } = await authorizeFlow(
        app,
        params({ code_challenge: challenge, scope: 'customers:read', ...over }),
        { username: 'demo', password: demoPassword },
      );
      return { code: redirect.searchParams.get('code')!, verifier };
    };
    const exchange = (form: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams({ grant_type: 'authorization_code', redirect_uri: CALLBACK, ...form }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));

    it('a wrong verifier is invalid_grant and does not burn the code', async () => {
      const { code: c, verifier } = await code();
      const wrong = await exchange({ code: c, client_id: 'demo-spa', code_verifier: pkcePair().verifier });
      expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      const missing = await exchange({ code: c, client_id: 'demo-spa' });
      expect(missing).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      const right = await exchange({ code: c, client_id: 'demo-spa', code_verifier: verifier });
      expect(right.status).toBe(200);
    });

    it('a different redirect_uri is invalid_grant', async () => {
      const { code: c, verifier } = await code();
      const res = await exchange({
        code: c,
        client_id: 'demo-spa',
        code_verifier: verifier,
        redirect_uri: 'http://localhost:8080/callback',
      });
      expect(res).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    });

    it('a replayed code is invalid_grant and revokes the tokens issued from it', async () => {
      const { code: c, verifier } = await code();
      const first = await exchange({ code: c, client_id: 'demo-spa', code_verifier: verifier });
      expect(first.status).toBe(200);
      const at = first.body.access_token as string;
      expect((await api(app, `/customers/${demoCustomerId(1)}`, at)).status).toBe(200);

      // An otherwise-invalid replay (wrong verifier) revokes nothing.
      const bad = await exchange({ code: c, client_id: 'demo-spa', code_verifier: pkcePair().verifier });
      expect(bad.body.error).toBe('invalid_grant');
      expect((await api(app, `/customers/${demoCustomerId(1)}`, at)).status).toBe(200);

      const replay = await exchange({ code: c, client_id: 'demo-spa', code_verifier: verifier });
      expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      const after = await api(app, `/customers/${demoCustomerId(1)}`, at);
      expect(after.status).toBe(401);
      expect(after.headers.get('www-authenticate')).toMatch(/revoked/);
      const refreshed = await exchange({
        grant_type: 'refresh_token',
        refresh_token: first.body.refresh_token,
        client_id: 'demo-spa',
      });
      expect(refreshed.body.error).toBe('invalid_grant');
      const replays = await auditTypes('code.replayed');
      expect(replays).toHaveLength(1);
      expect(replays[0].details.grant_revoked).toBe(true);
    });

    it('a code is bound to its client', async () => {
      const created = await api(app, '/admin/clients', admin, {
        method: 'POST',
        body: {
          client_name: 'Confidential web app',
          grant_types: ['authorization_code'],
          redirect_uris: [CALLBACK],
          role: 'manager',
        },
      });
      expect(created.status).toBe(201);
      const { client_id, client_secret } = created.body;
      const { code: c, verifier } = await code();
      const stolen = await exchange(
        { code: c, code_verifier: verifier },
        { authorization: basic(client_id, client_secret) },
      );
      expect(stolen).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

      // The confidential client's own code works with its secret (PKCE still required).
      const { verifier: v2, challenge } = pkcePair();
      const { redirect } = await authorizeFlow(
        app,
        params({ client_id, code_challenge: challenge, scope: 'customers:read' }),
        { username: 'demo', password: demoPassword },
      );
      const own = await exchange(
        { code: redirect.searchParams.get('code')!, code_verifier: v2 },
        { authorization: basic(client_id, client_secret) },
      );
      expect(own.status).toBe(200);
      expect(own.body.refresh_token).toBeUndefined(); // not registered for refresh_token
    });

    it('garbage and missing codes are standard errors, never 500', async () => {
      expect(await exchange({ code: 'nope', client_id: 'demo-spa', code_verifier: 'x' })).toMatchObject({
        status: 400,
        body: { error: 'invalid_grant' },
      });
      expect(await exchange({ client_id: 'demo-spa' })).toMatchObject({
        status: 400,
        body: { error: 'invalid_request' },
      });
    });
  });

  it('advertises the code flow in the metadata', async () => {
    const meta = (await (await fetch(`${app.url}/.well-known/openid-configuration`)).json()) as Record<
      string,
      any
    >;
    expect(meta).toMatchObject({
      authorization_endpoint: `${app.config.ISSUER}/oauth/authorize`,
      userinfo_endpoint: `${app.config.ISSUER}/oauth/userinfo`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
    });
    expect(meta.grant_types_supported).toEqual(['client_credentials', 'authorization_code', 'refresh_token']);
    expect(meta.token_endpoint_auth_methods_supported).toContain('none');
  });
});
