import { decodeJwt, decodeProtectedHeader, createLocalJWKSet, jwtVerify } from 'jose';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
const DataSourceToken = getDataSourceToken() as unknown as new () => DataSource;
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoCredential } from '../../src/demo/seeds/demo-seeder';
import { startTestApp, type TestApp } from '../support/app';
import { ADMIN_ENV, adminToken, api, basic, seedDemo, tokenRequest } from '../support/oauth';

describe('POST /oauth/token — client_credentials (RFC 6749 §4.4, RFC 9068)', () => {
  let app: TestApp;
  let creds: Record<string, DemoCredential>;
  let admin: string;
  let keyed: { client_id: string; client_secret: string; api_key: string };
  let posting: { client_id: string; client_secret: string };

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    creds = await seedDemo(app);
    admin = await adminToken(app);
    const k = await api(app, '/admin/clients', admin, {
      method: 'POST',
      body: { client_name: 'Keyed', role: 'salesperson', require_api_key: true },
    });
    keyed = k.body;
    const p = await api(app, '/admin/clients', admin, {
      method: 'POST',
      body: { client_name: 'Poster', role: 'viewer', token_endpoint_auth_method: 'client_secret_post' },
    });
    posting = p.body;
  });
  afterAll(() => app?.stop());

  const manager = () => ({ id: creds.manager.client_id, secret: creds.manager.client_secret });

  it('issues an RFC 9068 access token with the role scopes (no OIDC scopes for a client)', async () => {
    const res = await tokenRequest(app, { grant_type: 'client_credentials' }, manager());
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
    expect(res.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'customers:address customers:profile customers:read',
    });
    const token = res.body.access_token as string;
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES256', kid: expect.any(String) });
    const jwks = (await (await fetch(`${app.url}/.well-known/jwks.json`)).json()) as { keys: object[] };
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks as never), {
      issuer: app.config.ISSUER,
      audience: app.config.ACCESS_TOKEN_AUDIENCE,
      typ: 'at+jwt',
      algorithms: ['ES256'],
    });
    expect(payload).toMatchObject({
      sub: 'demo-manager',
      client_id: 'demo-manager',
      scope: 'customers:address customers:profile customers:read',
      txn: res.headers.get('x-request-id'),
    });
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('accepts a JSON body as well as a form', async () => {
    const res = await fetch(`${app.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic(manager().id, manager().secret) },
      body: JSON.stringify({ grant_type: 'client_credentials', scope: 'customers:read' }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { scope: string }).scope).toBe('customers:read');
  });

  it('down-scopes to a requested subset', async () => {
    const res = await tokenRequest(
      app,
      { grant_type: 'client_credentials', scope: 'customers:read customers:profile' },
      manager(),
    );
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('customers:profile customers:read');
    expect(decodeJwt(res.body.access_token as string).scope).toBe('customers:profile customers:read');
  });

  it('authenticates client_secret_post clients with body credentials', async () => {
    const res = await tokenRequest(
      app,
      { grant_type: 'client_credentials' },
      { id: posting.client_id, secret: posting.client_secret, auth: 'post' },
    );
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('customers:read');
  });

  it('requires X-API-Key from clients registered with require_api_key', async () => {
    const base = { id: keyed.client_id, secret: keyed.client_secret };
    const ok = await tokenRequest(
      app,
      { grant_type: 'client_credentials' },
      { ...base, headers: { 'x-api-key': keyed.api_key } },
    );
    expect(ok.status).toBe(200);
    for (const headers of [{}, { 'x-api-key': 'wrong' }] as Record<string, string>[]) {
      const res = await tokenRequest(app, { grant_type: 'client_credentials' }, { ...base, headers });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
    }
  });

  const form = { grant_type: 'client_credentials' };
  it.each<
    [
      string,
      () => Promise<{ status: number; headers: Headers; body: Record<string, unknown> }>,
      number,
      string,
      string | null,
    ]
  >([
    [
      'wrong secret (Basic)',
      () => tokenRequest(app, form, { id: 'demo-manager', secret: 'nope' }),
      401,
      'invalid_client',
      'Basic realm="scopegate", charset="UTF-8"',
    ],
    [
      'unknown client (Basic)',
      () => tokenRequest(app, form, { id: 'ghost', secret: 'x' }),
      401,
      'invalid_client',
      'Basic realm="scopegate", charset="UTF-8"',
    ],
    [
      'no credentials at all',
      () => tokenRequest(app, form),
      401,
      'invalid_client',
      'Basic realm="scopegate", charset="UTF-8"',
    ],
    [
      'wrong secret (post)',
      () => tokenRequest(app, form, { id: posting.client_id, secret: 'nope', auth: 'post' }),
      401,
      'invalid_client',
      null,
    ],
    [
      'basic client using post',
      () =>
        tokenRequest(app, form, { id: 'demo-manager', secret: creds.manager.client_secret, auth: 'post' }),
      401,
      'invalid_client',
      null,
    ],
    [
      'post client using basic',
      () => tokenRequest(app, form, { id: posting.client_id, secret: posting.client_secret }),
      401,
      'invalid_client',
      'Basic realm="scopegate", charset="UTF-8"',
    ],
    [
      'two authentication methods',
      () =>
        tokenRequest(
          app,
          { ...form, client_secret: 'x', client_id: 'demo-manager' },
          { id: 'demo-manager', secret: creds.manager.client_secret },
        ),
      400,
      'invalid_request',
      null,
    ],
    [
      'malformed Basic header',
      () => tokenRequest(app, form, { headers: { authorization: 'Basic !!!' } }),
      401,
      'invalid_client',
      'Basic realm="scopegate", charset="UTF-8"',
    ],
    [
      'missing grant_type',
      () => tokenRequest(app, {}, { id: 'demo-manager', secret: creds.manager.client_secret }),
      400,
      'invalid_request',
      null,
    ],
    [
      'unknown grant_type',
      () =>
        tokenRequest(
          app,
          { grant_type: 'password' },
          { id: 'demo-manager', secret: creds.manager.client_secret },
        ),
      400,
      'unsupported_grant_type',
      null,
    ],
    [
      'scope outside the role',
      () =>
        tokenRequest(
          app,
          { ...form, scope: 'customers:banking' },
          { id: 'demo-manager', secret: creds.manager.client_secret },
        ),
      400,
      'invalid_scope',
      null,
    ],
    [
      'unknown scope',
      () =>
        tokenRequest(
          app,
          { ...form, scope: 'nope:nope' },
          { id: 'demo-manager', secret: creds.manager.client_secret },
        ),
      400,
      'invalid_scope',
      null,
    ],
    [
      'malformed scope',
      () =>
        tokenRequest(
          app,
          { ...form, scope: 'a"b' },
          { id: 'demo-manager', secret: creds.manager.client_secret },
        ),
      400,
      'invalid_scope',
      null,
    ],
    [
      'OIDC scope for a client',
      () =>
        tokenRequest(
          app,
          { ...form, scope: 'openid' },
          { id: 'demo-manager', secret: creds.manager.client_secret },
        ),
      400,
      'invalid_scope',
      null,
    ],
  ])('%s', async (_name, call, status, error, wwwAuthenticate) => {
    const res = await call();
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(error);
    expect(typeof res.body.error_description).toBe('string');
    expect(res.headers.get('cache-control')).toBe('no-store');
    if (wwwAuthenticate) expect(res.headers.get('www-authenticate')).toBe(wwwAuthenticate);
  });

  it('refuses a repeated parameter (RFC 6749 §3.2)', async () => {
    const res = await fetch(`${app.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic('demo-manager', creds.manager.client_secret),
      },
      body: 'grant_type=client_credentials&scope=customers:read&scope=customers:profile',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request' });
  });

  it.each([
    ['invalid JSON', 'application/json', '{"grant_type":'],
    ['unsupported media type', 'text/plain', 'grant_type=client_credentials'],
    ['JSON array', 'application/json', '[1,2]'],
    ['non-string JSON value', 'application/json', '{"grant_type":5}'],
  ])('%s → 4xx with an OAuth error body, never 500', async (_n, type, body) => {
    const res = await fetch(`${app.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': type, authorization: basic('demo-manager', creds.manager.client_secret) },
      body,
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const json = (await res.json()) as Record<string, unknown>;
    expect(json.error).toBe('invalid_request');
    expect(JSON.stringify(json)).not.toMatch(/\bat \w|stack/);
  });

  it('honours a per-client access_token_ttl', async () => {
    const c = await api(app, '/admin/clients', admin, {
      method: 'POST',
      body: { client_name: 'short', role: 'viewer', access_token_ttl: 60 },
    });
    const res = await tokenRequest(app, form, { id: c.body.client_id, secret: c.body.client_secret });
    expect(res.body.expires_in).toBe(60);
    const p = decodeJwt(res.body.access_token as string);
    expect(p.exp! - p.iat!).toBe(60);
  });

  it('keeps a rotated secret valid for the grace period, and the new one works', async () => {
    const c = await api(app, '/admin/clients', admin, {
      method: 'POST',
      body: { client_name: 'rot', role: 'viewer' },
    });
    const rotated = await api(app, `/admin/clients/${c.body.client_id}/secret`, admin, { method: 'POST' });
    expect(rotated.status).toBe(200);
    expect(rotated.body.client_secret).not.toBe(c.body.client_secret);
    expect(
      (await tokenRequest(app, form, { id: c.body.client_id, secret: c.body.client_secret })).status,
    ).toBe(200);
    expect(
      (await tokenRequest(app, form, { id: c.body.client_id, secret: rotated.body.client_secret })).status,
    ).toBe(200);
  });

  it('a disabled client can no longer get tokens', async () => {
    const c = await api(app, '/admin/clients', admin, {
      method: 'POST',
      body: { client_name: 'off', role: 'viewer' },
    });
    await api(app, `/admin/clients/${c.body.client_id}/disable`, admin, { method: 'POST' });
    const res = await tokenRequest(app, form, { id: c.body.client_id, secret: c.body.client_secret });
    expect(res.status).toBe(401);
  });

  it('records every token in the tokens table with its request id', async () => {
    const res = await tokenRequest(app, form, manager());
    const jti = decodeJwt(res.body.access_token as string).jti;
    const [row] = await app.app.get(DataSourceToken).query('SELECT * FROM tokens WHERE jti = $1', [jti]);
    expect(row).toMatchObject({
      client_id: 'demo-manager',
      subject: 'demo-manager',
      grant_type: 'client_credentials',
      request_id: res.headers.get('x-request-id'),
      revoked_at: null,
    });
    expect(row.scopes).toEqual(['customers:address', 'customers:profile', 'customers:read']);
  });

  it('serves RFC 8414 metadata under both names, advertising only what is implemented', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const meta = (await (await fetch(`${app.url}${path}`)).json()) as Record<string, unknown>;
      expect(meta).toMatchObject({
        issuer: app.config.ISSUER,
        token_endpoint: `${app.config.ISSUER}/oauth/token`,
        jwks_uri: `${app.config.ISSUER}/.well-known/jwks.json`,
        revocation_endpoint: `${app.config.ISSUER}/oauth/revoke`,
        introspection_endpoint: `${app.config.ISSUER}/oauth/introspect`,
      });
      expect(meta.grant_types_supported).toContain('client_credentials');
      expect(meta.grant_types_supported).not.toContain('password');
      expect(meta.token_endpoint_auth_methods_supported).toEqual(
        expect.arrayContaining(['client_secret_basic', 'client_secret_post']),
      );
      expect(meta.scopes_supported).toEqual(
        expect.arrayContaining(['customers:read', 'customers:banking', 'admin']),
      );
    }
  });

  it('publishes only public key material in the JWKS', async () => {
    const { keys } = (await (await fetch(`${app.url}/.well-known/jwks.json`)).json()) as {
      keys: Record<string, string>[];
    };
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) {
      expect(k).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: expect.any(String) });
      for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(k).not.toHaveProperty(priv);
    }
  });
});
