import { getDataSourceToken } from '@nestjs/typeorm';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT, type JWK } from 'jose';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuditService } from '../../src/audit/audit.service';
import { Clock } from '../../src/platform/clock';
import { SIGNING_ALGORITHMS } from '../../src/config/env';
import type { DemoCredential } from '../../src/demo/seeds/demo-seeder';
import { demoCustomerId } from '../../src/demo/seeds/demo-customers';
import { KeysService } from '../../src/keys/keys.service';
import { startTestApp, type TestApp } from '../support/app';
import { accessToken, ADMIN_ENV, adminToken, api, basic, seedDemo } from '../support/oauth';

const DS = getDataSourceToken() as unknown as new () => DataSource;

async function form(app: TestApp, path: string, params: Record<string, string>, auth?: string) {
  const res = await fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(auth ? { authorization: auth } : {}),
    },
    body: new URLSearchParams(params),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

describe('token lifecycle: revocation, introspection, usage, keys (RFC 7009, RFC 7662)', () => {
  let app: TestApp;
  let creds: Record<string, DemoCredential>;
  let admin: string;
  const customer = `/customers/${demoCustomerId(3)}`;
  const as = (role: string) => basic(creds[role].client_id, creds[role].client_secret);
  const tokenOf = (role: string, scope?: string) =>
    accessToken(app, creds[role].client_id, creds[role].client_secret, scope);

  beforeAll(async () => {
    app = await startTestApp({ ...ADMIN_ENV, KEY_PUBLISH_LEAD: '0' });
    creds = await seedDemo(app);
    admin = await adminToken(app);
  });
  afterAll(() => app?.stop());

  describe('POST /oauth/revoke (RFC 7009)', () => {
    it('a revoked access token is refused on the very next request', async () => {
      const token = await tokenOf('manager');
      expect((await api(app, customer, token)).status).toBe(200);
      const res = await form(app, '/oauth/revoke', { token, token_type_hint: 'access_token' }, as('manager'));
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const after = await api(app, customer, token);
      expect(after.status).toBe(401);
      expect(after.headers.get('www-authenticate')).toContain(
        'error_description="The access token was revoked"',
      );
    });

    it('a client cannot revoke another client’s token: 200, and nothing happens', async () => {
      const token = await tokenOf('manager');
      expect((await form(app, '/oauth/revoke', { token }, as('viewer'))).status).toBe(200);
      expect((await api(app, customer, token)).status).toBe(200);
    });

    it.each([
      ['garbage', 'not-a-token'],
      ['a forged JWT', 'eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0.'],
      ['a wrong hint', 'whatever'],
    ])('%s → 200', async (_n, token) => {
      expect(
        (await form(app, '/oauth/revoke', { token, token_type_hint: 'refresh_token' }, as('viewer'))).status,
      ).toBe(200);
    });

    it('needs client authentication and a token parameter', async () => {
      const token = await tokenOf('viewer');
      expect((await form(app, '/oauth/revoke', { token })).status).toBe(401);
      expect((await form(app, '/oauth/revoke', { token }, basic('demo-viewer', 'wrong'))).status).toBe(401);
      const missing = await form(app, '/oauth/revoke', {}, as('viewer'));
      expect(missing.status).toBe(400);
      expect(missing.body.error).toBe('invalid_request');
    });

    it('admin revocation by jti, of all a client’s tokens, and by disabling the client go the same way', async () => {
      const one = await tokenOf('salesperson');
      expect(
        (await api(app, `/admin/tokens/${decodeJwt(one).jti}`, admin, { method: 'DELETE' })).status,
      ).toBe(204);
      expect((await api(app, customer, one)).status).toBe(401);

      const a = await tokenOf('salesperson');
      const b = await tokenOf('salesperson');
      const all = await api(app, '/admin/clients/demo-salesperson/tokens', admin, { method: 'DELETE' });
      expect(all.body.revoked).toBeGreaterThanOrEqual(2);
      expect((await api(app, customer, a)).status).toBe(401);
      expect((await api(app, customer, b)).status).toBe(401);

      const c = await api(app, '/admin/clients', admin, {
        method: 'POST',
        body: { client_name: 'to disable', role: 'viewer' },
      });
      const t = await accessToken(app, c.body.client_id, c.body.client_secret);
      expect((await api(app, customer, t)).status).toBe(200);
      await api(app, `/admin/clients/${c.body.client_id}/disable`, admin, { method: 'POST' });
      expect((await api(app, customer, t)).status).toBe(401);
      expect(
        (await api(app, '/admin/tokens/00000000-0000-4000-8000-000000000000', admin, { method: 'DELETE' }))
          .status,
      ).toBe(404);
    });

    it('audits who revoked what and why', async () => {
      const token = await tokenOf('viewer');
      await form(app, '/oauth/revoke', { token }, as('viewer'));
      const events = await api(app, `/admin/audit?jti=${decodeJwt(token).jti}&type=token.revoked`, admin);
      expect(events.body.data[0]).toMatchObject({
        actor: 'demo-viewer',
        details: { reason: 'revoked by client (RFC 7009)', count: 1 },
      });
    });
  });

  describe('POST /oauth/introspect (RFC 7662)', () => {
    it('describes a live token to its own client', async () => {
      const token = await tokenOf('manager', 'customers:read');
      const res = await form(app, '/oauth/introspect', { token }, as('manager'));
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const claims = decodeJwt(token);
      expect(res.body).toEqual({
        active: true,
        scope: 'customers:read',
        client_id: 'demo-manager',
        sub: 'demo-manager',
        aud: app.config.ACCESS_TOKEN_AUDIENCE,
        iss: app.config.ISSUER,
        exp: claims.exp,
        iat: claims.iat,
        jti: claims.jti,
        token_type: 'Bearer',
      });
    });

    it('answers only {active:false} for revoked, expired, forged, garbage and foreign tokens', async () => {
      const revoked = await tokenOf('manager');
      await form(app, '/oauth/revoke', { token: revoked }, as('manager'));
      const clock = app.app.get(Clock);
      const spy = vi.spyOn(clock, 'now').mockReturnValue(Date.now() - 3_600_000);
      const expired = await tokenOf('manager');
      spy.mockRestore();
      const live = await tokenOf('manager');
      const [h, p] = live.split('.');
      const forged = `${h}.${p}.${'A'.repeat(86)}`;
      for (const token of [revoked, expired, forged, 'garbage', `${h}.${p}.`]) {
        const res = await form(app, '/oauth/introspect', { token }, as('manager'));
        expect(res.body).toEqual({ active: false });
      }
      // Another client's live token: not this caller's to see.
      expect((await form(app, '/oauth/introspect', { token: live }, as('viewer'))).body).toEqual({
        active: false,
      });
    });

    it('an admin-scoped bearer token may introspect any client’s token', async () => {
      const live = await tokenOf('manager');
      const res = await fetch(`${app.url}/oauth/introspect`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: live }),
      });
      expect(((await res.json()) as { active: boolean; client_id: string }).client_id).toBe('demo-manager');
      const viewer = await tokenOf('viewer');
      const refused = await fetch(`${app.url}/oauth/introspect`, {
        method: 'POST',
        headers: { authorization: `Bearer ${viewer}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: live }),
      });
      expect(refused.status).toBe(403);
    });

    it('needs an authenticated caller and a token', async () => {
      expect((await form(app, '/oauth/introspect', { token: 'x' })).status).toBe(401);
      expect((await form(app, '/oauth/introspect', {}, as('manager'))).status).toBe(400);
    });
  });

  it('GET /admin/tokens/:jti shows the record and its usage from the audit log', async () => {
    const token = await tokenOf('manager');
    await api(app, customer, token, { headers: { 'user-agent': 'usage-test/1' } });
    await api(app, '/customers?limit=1', token, { headers: { 'user-agent': 'usage-test/2' } });
    await api(app, '/admin/clients', token); // refused: no admin scope
    await app.app.get(AuditService).flush();
    const jti = decodeJwt(token).jti!;
    const res = await api(app, `/admin/tokens/${jti}`, admin);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      jti,
      client_id: 'demo-manager',
      revoked_at: null,
      grant_type: 'client_credentials',
    });
    expect(res.body.usage).toMatchObject({ calls: 3, refused: 1, distinct_ips: ['127.0.0.1'] });
    expect(res.body.usage.distinct_user_agents).toHaveLength(3); // the two above and fetch's default
    expect(res.body.usage.distinct_user_agents).toEqual(
      expect.arrayContaining(['usage-test/1', 'usage-test/2']),
    );
    expect(res.body.usage.endpoints.sort()).toEqual([
      'GET /admin/clients',
      'GET /customers',
      'GET /customers/:id',
    ]);
    expect((await api(app, '/admin/tokens/not-a-jti', admin)).status).toBe(404);
  });

  describe('signing keys', () => {
    const jwks = async () =>
      ((await (await fetch(`${app.url}/.well-known/jwks.json`)).json()) as { keys: JWK[] }).keys;

    it('rotation publishes the new key; tokens signed before keep working until they expire', async () => {
      const before = await tokenOf('manager');
      const oldKid = decodeProtectedHeader(before).kid;
      const rotated = await api(app, '/admin/keys/rotate', admin, { method: 'POST', body: {} });
      expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
      const kids = (await jwks()).map((k) => k.kid);
      expect(kids).toEqual(expect.arrayContaining([oldKid, rotated.body.kid]));
      const after = await tokenOf('manager');
      expect(decodeProtectedHeader(after).kid).toBe(rotated.body.kid);
      expect((await api(app, customer, before)).status).toBe(200);
      expect((await api(app, customer, after)).status).toBe(200);
      const keys = await api(app, '/admin/keys', admin);
      expect(keys.body.find((k: { kid: string }) => k.kid === oldKid)).toMatchObject({
        status: 'retired',
        publish_until: expect.any(String),
      });

      // Once every token the retired key signed has expired, it leaves the JWKS, and its tokens die.
      await app.app
        .get(DS)
        .query(`UPDATE signing_keys SET publish_until = now() - interval '1 second' WHERE kid = $1`, [
          oldKid,
        ]);
      await app.app.get(KeysService).maintain();
      expect((await jwks()).map((k) => k.kid)).not.toContain(oldKid);
      expect((await api(app, customer, before)).status).toBe(401);
      admin = await adminToken(app); // the old admin token died with its key
      const events = await api(app, '/admin/audit?type=key.rotated', admin);
      expect(events.body.data[0]).toMatchObject({ subject: rotated.body.kid, actor: 'test-admin' });
    });

    it('a key published ahead does not sign before its time', async () => {
      const keys = app.app.get(KeysService);
      const config = app.app.get((await import('@nestjs/config')).ConfigService);
      const get = config.get.bind(config);
      const spy = vi
        .spyOn(config, 'get')
        .mockImplementation(((k: string, o?: unknown) =>
          k === 'KEY_PUBLISH_LEAD' ? 3600 : get(k as never, o as never)) as never);
      const next = await keys.rotate();
      spy.mockRestore();
      expect((await jwks()).map((k) => k.kid)).toContain(next.kid);
      const token = await tokenOf('manager');
      expect(decodeProtectedHeader(token).kid).not.toBe(next.kid);
      await app.app.get(DS).query(`UPDATE signing_keys SET activate_at = now() WHERE kid = $1`, [next.kid]);
      await keys.maintain();
      expect(decodeProtectedHeader(await tokenOf('manager')).kid).toBe(next.kid);
    });

    it('unknown kids cause at most one key reload per few seconds (no reload storm from forged tokens)', async () => {
      const keys = app.app.get(KeysService);
      (keys as unknown as { lastReload: number }).lastReload = 0; // past the last reload's quiet period
      const reload = vi.spyOn(keys, 'reload');
      try {
        for (let i = 0; i < 20; i++)
          expect(await keys.verificationKeyOrReload(`forged-kid-${i}`)).toBeUndefined();
        expect(reload).toHaveBeenCalledTimes(1);
      } finally {
        reload.mockRestore();
      }
    });

    it('the JWKS never shows private members', async () => {
      for (const k of await jwks()) {
        for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(k).not.toHaveProperty(priv);
        expect(k).toMatchObject({ use: 'sig', alg: expect.any(String), kid: expect.any(String) });
      }
    });

    it.each(SIGNING_ALGORITHMS)(
      '%s: issue, verify through the JWKS with jose, refuse it re-signed with another algorithm',
      async (alg) => {
        const c = await api(app, '/admin/clients', admin, {
          method: 'POST',
          body: { client_name: `alg ${alg}`, role: 'viewer', signing_alg: alg },
        });
        expect(c.status).toBe(201);
        const token = await accessToken(app, c.body.client_id, c.body.client_secret);
        const header = decodeProtectedHeader(token);
        expect(header).toMatchObject({ alg, typ: 'at+jwt' });
        const set = createLocalJWKSet({ keys: await jwks() });
        const { payload } = await jwtVerify(token, set, {
          issuer: app.config.ISSUER,
          audience: app.config.ACCESS_TOKEN_AUDIENCE,
          algorithms: [alg],
        });
        expect(payload.client_id).toBe(c.body.client_id);
        expect((await api(app, customer, token)).status).toBe(200);

        // Same claims and kid, signed by the key of another algorithm: refused (the kid fixes the algorithm).
        const keys = app.app.get(KeysService);
        const otherAlg = alg === 'ES256' ? 'EdDSA' : 'ES256';
        await keys.ensureActiveKey(otherAlg);
        const other = keys.signingKey(otherAlg);
        const resigned = await new SignJWT(payload)
          .setProtectedHeader({ alg: otherAlg, typ: 'at+jwt', kid: header.kid })
          .sign(other.privateKey);
        const res = await api(app, customer, resigned);
        expect(res.status).toBe(401);
        expect(
          (
            await form(
              app,
              '/oauth/introspect',
              { token: resigned },
              `Basic ${Buffer.from(`${c.body.client_id}:${c.body.client_secret}`).toString('base64')}`,
            )
          ).body,
        ).toEqual({ active: false });
      },
    );
  });
});
