import { createHash } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app';
import { codeFlowTokens, seedDelegation } from '../support/delegation';
import { accessToken, ADMIN_ENV, api, seedDemo } from '../support/oauth';

describe('OpenID Connect: id_token and userinfo (OIDC Core §3.1, §5.3)', () => {
  let app: TestApp;
  let password: string;
  let creds: Awaited<ReturnType<typeof seedDemo>>;

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    creds = await seedDemo(app);
    password = await seedDelegation(app);
  });
  afterAll(() => app?.stop());

  const flow = (scope: string, nonce?: string) =>
    codeFlowTokens(app, { clientId: 'demo-spa', scope, username: 'demo', password, nonce });

  it('scope openid adds an id_token: signature, iss, aud, nonce, at_hash, auth_time', async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await flow('openid profile email customers:read', 'n-0S6_WzA2Mj');
    expect(res.status).toBe(200);
    const jwks = (await (await fetch(`${app.url}/.well-known/jwks.json`)).json()) as { keys: object[] };
    const { payload, protectedHeader } = await jwtVerify(
      res.body.id_token,
      createLocalJWKSet(jwks as never),
      {
        issuer: app.config.ISSUER,
        audience: 'demo-spa',
        algorithms: ['ES256'],
      },
    );
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'JWT', kid: expect.any(String) });
    expect(payload.nonce).toBe('n-0S6_WzA2Mj');
    const digest = createHash('sha256').update(res.body.access_token).digest();
    expect(payload.at_hash).toBe(digest.subarray(0, 16).toString('base64url'));
    expect(payload.auth_time).toBeGreaterThanOrEqual(before - 1);
    expect(payload.auth_time).toBeLessThanOrEqual(payload.iat!);
    expect(payload.sub).toBe(
      JSON.parse(Buffer.from(res.body.access_token.split('.')[1], 'base64url').toString()).sub,
    );
    expect(payload.exp! - payload.iat!).toBe(300);
  });

  it('a refreshed response carries a new id_token with the original auth_time and no nonce', async () => {
    const res = await flow('openid customers:read', 'nonce-1');
    const first = JSON.parse(Buffer.from(res.body.id_token.split('.')[1], 'base64url').toString());
    const r = await fetch(`${app.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: res.body.refresh_token,
        client_id: 'demo-spa',
      }),
    });
    const body = (await r.json()) as Record<string, string>;
    const second = JSON.parse(Buffer.from(body.id_token.split('.')[1], 'base64url').toString());
    expect(second.auth_time).toBe(first.auth_time);
    expect(second.nonce).toBeUndefined();
  });

  it('no openid, no id_token', async () => {
    const res = await flow('customers:read');
    expect(res.body.id_token).toBeUndefined();
  });

  it('userinfo returns the claims the profile and email scopes grant', async () => {
    const full = await flow('openid profile email');
    const info = await api(app, '/oauth/userinfo', full.body.access_token);
    expect(info.status).toBe(200);
    expect(info.headers.get('cache-control')).toBe('no-store');
    expect(info.body).toEqual({
      sub: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Demo User',
      preferred_username: 'demo',
      updated_at: expect.any(Number),
      email: 'demo@example.com',
      email_verified: false,
    });
    const post = await api(app, '/oauth/userinfo', full.body.access_token, { method: 'POST' });
    expect(post.body).toEqual(info.body);

    const bare = await flow('openid');
    expect((await api(app, '/oauth/userinfo', bare.body.access_token)).body).toEqual({ sub: info.body.sub });
  });

  it('userinfo needs a bearer token with openid (RFC 6750 errors)', async () => {
    const none = await api(app, '/oauth/userinfo', undefined);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const noOpenid = await flow('customers:read');
    const res = await api(app, '/oauth/userinfo', noOpenid.body.access_token);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toMatch(/insufficient_scope/);
    const clientToken = await accessToken(app, creds.manager.client_id, creds.manager.client_secret);
    expect((await api(app, '/oauth/userinfo', clientToken)).status).toBe(403);
  });
});
