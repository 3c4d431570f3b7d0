import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Clock } from '../../src/platform/clock';
import { demoCustomerId } from '../../src/demo/seeds/demo-customers';
import { startTestApp, type TestApp } from '../support/app';
import { codeFlowTokens, refreshAsDemoSpa, seedDelegation } from '../support/delegation';
import { ADMIN_ENV, adminToken, api, seedDemo } from '../support/oauth';

describe('refresh_token grant: rotation, reuse detection, lifetimes (RFC 6749 §6, RFC 9700 §4.14)', () => {
  let app: TestApp;
  let admin: string;
  let password: string;

  beforeAll(async () => {
    app = await startTestApp({ ...ADMIN_ENV, REFRESH_TOKEN_IDLE_TTL: '600', REFRESH_TOKEN_TTL: '3600' });
    await seedDemo(app);
    password = await seedDelegation(app);
    admin = await adminToken(app);
  });
  afterAll(() => app?.stop());

  const login = async (scope = 'customers:read customers:profile') => {
    const res = await codeFlowTokens(app, { clientId: 'demo-spa', scope, username: 'demo', password });
    expect(res.status).toBe(200);
    return res.body as { access_token: string; refresh_token: string };
  };
  const refresh = (refreshToken: string, extra: Record<string, string> = {}) =>
    refreshAsDemoSpa(app, refreshToken, extra);
  const customer = (token: string) => api(app, `/customers/${demoCustomerId(2)}`, token);

  it('rotates the refresh token on every use and keeps the scopes', async () => {
    const t0 = await login();
    const r1 = await refresh(t0.refresh_token);
    expect(r1.status).toBe(200);
    expect(r1.body).toMatchObject({ token_type: 'Bearer', scope: 'customers:profile customers:read' });
    expect(r1.body.refresh_token).not.toBe(t0.refresh_token);
    expect(r1.body.access_token).not.toBe(t0.access_token);
    const r2 = await refresh(r1.body.refresh_token);
    expect(r2.status).toBe(200);
    expect((await customer(r2.body.access_token)).status).toBe(200);
    const rotated = await api(app, '/admin/audit?type=refresh.rotated', admin);
    expect(rotated.body.data.length).toBeGreaterThanOrEqual(2);
  });

  it('may narrow the scope, never widen it', async () => {
    const t0 = await login();
    const narrow = await refresh(t0.refresh_token, { scope: 'customers:read' });
    expect(narrow).toMatchObject({ status: 200, body: { scope: 'customers:read' } });
    const wide = await refresh(narrow.body.refresh_token, { scope: 'customers:read customers:address' });
    expect(wide).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    // The refused request did not use the token up (RFC 6749 §5.2): it still refreshes, no reuse alarm.
    const again = await refresh(narrow.body.refresh_token);
    expect(again.status).toBe(200);
    expect((await customer(again.body.access_token)).status).toBe(200);
  });

  it('reuse of a rotated token revokes the whole family: refresh and access tokens', async () => {
    const t0 = await login();
    const r1 = await refresh(t0.refresh_token);
    expect(r1.status).toBe(200);
    expect((await customer(r1.body.access_token)).status).toBe(200);

    const reuse = await refresh(t0.refresh_token);
    expect(reuse).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    // Every token of the family is dead now.
    expect((await refresh(r1.body.refresh_token)).body.error).toBe('invalid_grant');
    expect((await customer(r1.body.access_token)).status).toBe(401);
    expect((await customer(t0.access_token)).status).toBe(401);

    const detected = await api(app, '/admin/audit?type=refresh.reuse_detected', admin);
    expect(detected.body.data).toHaveLength(1);
    expect(detected.body.data[0].details.family_revoked).toBe(true);
    expect(JSON.stringify(detected.body)).not.toContain(t0.refresh_token);
  });

  it('two concurrent refreshes with the same token: one success, one invalid_grant, never two families', async () => {
    const t0 = await login();
    const results = await Promise.all([refresh(t0.refresh_token), refresh(t0.refresh_token)]);
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 400);
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0].body.error).toBe('invalid_grant');
    // The loser presented a rotated token (RFC 9700 §4.14.2 cannot tell it from an attacker): the
    // family, including the winner's new tokens, is revoked — there is no second valid family.
    expect((await refresh(ok[0].body.refresh_token)).body.error).toBe('invalid_grant');
    expect((await customer(ok[0].body.access_token)).status).toBe(401);
  });

  it('is bound to its client: another client gets invalid_grant and revokes nothing', async () => {
    const created = await api(app, '/admin/clients', admin, {
      method: 'POST',
      body: {
        client_name: 'Other public app',
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'none',
        redirect_uris: ['http://127.0.0.1:8080/callback'],
        role: 'viewer',
      },
    });
    const t0 = await login();
    const stolen = await refresh(t0.refresh_token, { client_id: created.body.client_id });
    expect(stolen).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await refresh(t0.refresh_token)).status).toBe(200);
  });

  it('expires after the idle lifetime and after the absolute one', async () => {
    const clock = app.app.get(Clock);
    const realNow = clock.now.bind(clock);
    try {
      const idle = await login();
      clock.now = () => realNow() + 601_000;
      expect((await refresh(idle.refresh_token)).body.error).toBe('invalid_grant');
      clock.now = realNow;

      let current = (await login()).refresh_token;
      // Used every 9 minutes, the family still ends at the absolute limit (1 h).
      for (let minutes = 9; minutes < 60; minutes += 9) {
        clock.now = () => realNow() + minutes * 60_000;
        const r = await refresh(current);
        expect(r.status).toBe(200);
        current = r.body.refresh_token;
      }
      clock.now = () => realNow() + 61 * 60_000;
      expect((await refresh(current)).body.error).toBe('invalid_grant');
    } finally {
      clock.now = realNow;
    }
  });

  it('stops working once the user is disabled', async () => {
    const t0 = await login();
    const users = await api(app, '/admin/users', admin);
    const demo = users.body.data.find((u: { username: string }) => u.username === 'demo');
    expect((await api(app, `/admin/users/${demo.id}/disable`, admin, { method: 'POST' })).status).toBe(200);
    try {
      expect((await refresh(t0.refresh_token)).body.error).toBe('invalid_grant');
    } finally {
      await api(app, `/admin/users/${demo.id}/enable`, admin, { method: 'POST' });
    }
  });

  it('refuses garbage and missing refresh tokens with standard errors', async () => {
    expect(await refresh('x'.repeat(43))).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const res = await fetch(`${app.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'demo-spa' }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('RFC 7009: revoking a refresh token revokes its whole family, access tokens included', async () => {
    const t = await login();
    expect((await customer(t.access_token)).status).toBe(200);
    const res = await fetch(`${app.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: t.refresh_token,
        token_type_hint: 'refresh_token',
        client_id: 'demo-spa',
      }),
    });
    expect(res.status).toBe(200);
    expect((await customer(t.access_token)).status).toBe(401);
    expect((await refresh(t.refresh_token)).body.error).toBe('invalid_grant');
  });

  it('RFC 7662: a live refresh token introspects as active until it is rotated', async () => {
    const t = await login();
    const introspect = async (token: string) => {
      const res = await fetch(`${app.url}/oauth/introspect`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, token_type_hint: 'refresh_token' }),
      });
      return (await res.json()) as Record<string, unknown>;
    };
    expect(await introspect(t.refresh_token)).toMatchObject({
      active: true,
      token_type: 'refresh_token',
      client_id: 'demo-spa',
      scope: 'customers:profile customers:read',
    });
    expect((await refresh(t.refresh_token)).status).toBe(200);
    expect(await introspect(t.refresh_token)).toEqual({ active: false });
  });
});
