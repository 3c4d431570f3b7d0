import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoCredential } from '../../src/demo/seeds/demo-seeder';
import { demoCustomerId } from '../../src/demo/seeds/demo-customers';
import { startTestApp, type TestApp } from '../support/app';
import {
  authorizeFlow,
  Browser,
  CALLBACK,
  codeFlowTokens,
  pkcePair,
  seedDelegation,
} from '../support/delegation';
import { ADMIN_ENV, adminToken, api, basic, seedDemo } from '../support/oauth';

/** Findings of the security review, each pinned by a test. */
describe('hardening', () => {
  let app: TestApp;
  let creds: Record<string, DemoCredential>;
  let password: string;
  let admin: string;

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    creds = await seedDemo(app);
    password = await seedDelegation(app);
    admin = await adminToken(app);
  });
  afterAll(() => app?.stop());

  const authorizeParams = (extra: Record<string, string> = {}) => ({
    response_type: 'code',
    client_id: 'demo-spa',
    redirect_uri: CALLBACK,
    scope: 'customers:read',
    state: 'st',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
    ...extra,
  });

  describe('a NUL character anywhere is a 4xx, never a database error', () => {
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${app.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body,
      });
    it.each([
      [
        'client_id in the token request',
        () => post('/oauth/token', 'grant_type=client_credentials&client_id=a%00b&client_secret=x'),
      ],
      [
        'grant_type',
        () =>
          post('/oauth/token', 'grant_type=x%00y', {
            authorization: basic('demo-viewer', creds.viewer.client_secret),
          }),
      ],
      [
        'token_type_hint on revoke',
        () =>
          post('/oauth/revoke', 'token=x&token_type_hint=a%00', {
            authorization: basic('demo-viewer', creds.viewer.client_secret),
          }),
      ],
      [
        'token_type_hint on introspect',
        () =>
          post('/oauth/introspect', 'token=x&token_type_hint=a%00', {
            authorization: basic('demo-viewer', creds.viewer.client_secret),
          }),
      ],
      [
        'client_id on the authorization endpoint',
        () => fetch(`${app.url}/oauth/authorize?client_id=a%00b&response_type=code`),
      ],
      [
        'nonce on the authorization endpoint',
        () =>
          fetch(`${app.url}/oauth/authorize?${new URLSearchParams(authorizeParams({ nonce: 'a\u0000b' }))}`),
      ],
      [
        'a JSON body',
        () =>
          fetch(`${app.url}/oauth/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"grant_type":"client_credentials","client_id":"a\\u0000"}',
          }),
      ],
      [
        'Basic credentials of the token endpoint',
        () =>
          post('/oauth/token', 'grant_type=client_credentials', {
            authorization: `Basic ${Buffer.from('us\u0000er:pw').toString('base64')}`,
          }),
      ],
      [
        'Basic credentials of POST /auth',
        () =>
          fetch(`${app.url}/auth`, {
            method: 'POST',
            headers: { authorization: `Basic ${Buffer.from('us\u0000er:pw').toString('base64')}` },
          }),
      ],
      ['a customer id', () => api(app, '/customers/a%00b', admin).then((r) => ({ status: r.status }))],
    ])('%s', async (_name, call) => {
      const res = await call();
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    });
  });

  it('a refused refresh (invalid_scope) leaves the token usable: no false reuse alarm', async () => {
    const t = await codeFlowTokens(app, {
      clientId: 'demo-spa',
      scope: 'customers:read customers:profile',
      username: 'demo',
      password,
    });
    const refresh = (extra: Record<string, string>) =>
      fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: t.body.refresh_token,
          client_id: 'demo-spa',
          ...extra,
        }),
      });
    expect((await refresh({ scope: 'customers:banking' })).status).toBe(400);
    const ok = await refresh({});
    expect(ok.status).toBe(200);
    expect((await api(app, `/customers/${demoCustomerId(1)}`, t.body.access_token)).status).toBe(200);
  });

  it('a remembered consent is not replayed for a public client reached through another loopback port', async () => {
    const browser = new Browser(app.url);
    await authorizeFlow(app, authorizeParams(), { username: 'demo', password, browser }); // consents if asked
    // Same browser, registered URI: the remembered consent applies.
    const again = await authorizeFlow(app, authorizeParams(), { username: 'demo', password, browser });
    expect(again.consentShown).toBe(false);
    // Another port of the loopback host (allowed by RFC 8252 §7.3): any local app could be asking.
    const other = await browser.get(
      `/oauth/authorize?${new URLSearchParams(authorizeParams({ redirect_uri: 'http://127.0.0.1:4444/callback' }))}`,
    );
    expect(other.status).toBe(200);
    expect(other.html).toContain('name="decision"');
    const silent = await browser.get(
      `/oauth/authorize?${new URLSearchParams(authorizeParams({ redirect_uri: 'http://127.0.0.1:4444/callback', prompt: 'none' }))}`,
    );
    expect(silent.status).toBe(303);
    expect(new URL(silent.location!).searchParams.get('error')).toBe('consent_required');
  });

  it('max_age (OIDC Core §3.1.2.1): an older sign-in must be repeated', async () => {
    const browser = new Browser(app.url);
    await authorizeFlow(app, authorizeParams(), { username: 'demo', password, browser });
    await new Promise((r) => setTimeout(r, 1100));
    const page = await browser.get(
      `/oauth/authorize?${new URLSearchParams(authorizeParams({ max_age: '0' }))}`,
    );
    expect(page.status).toBe(200);
    expect(page.html).toContain('name="password"');
    const none = await browser.get(
      `/oauth/authorize?${new URLSearchParams(authorizeParams({ max_age: '0', prompt: 'none' }))}`,
    );
    expect(new URL(none.location!).searchParams.get('error')).toBe('login_required');
    const bad = await browser.get(
      `/oauth/authorize?${new URLSearchParams(authorizeParams({ max_age: 'soon' }))}`,
    );
    expect(new URL(bad.location!).searchParams.get('error')).toBe('invalid_request');
    const req = await browser.get(
      `/oauth/authorize?${new URLSearchParams(authorizeParams({ request: 'eyJ9.e30.' }))}`,
    );
    expect(new URL(req.location!).searchParams.get('error')).toBe('request_not_supported');
  });

  it('disabling a client revokes its refresh tokens too', async () => {
    const t = await codeFlowTokens(app, {
      clientId: 'demo-spa',
      scope: 'customers:read',
      username: 'demo',
      password,
    });
    expect((await api(app, '/admin/clients/demo-spa/disable', admin, { method: 'POST' })).status).toBe(200);
    await api(app, '/admin/clients/demo-spa/enable', admin, { method: 'POST' });
    const res = await fetch(`${app.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: t.body.refresh_token,
        client_id: 'demo-spa',
      }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_grant');
    expect((await api(app, `/customers/${demoCustomerId(1)}`, t.body.access_token)).status).toBe(401);
  });
});
