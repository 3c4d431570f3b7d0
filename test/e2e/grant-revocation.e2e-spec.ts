import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditService } from '../../src/audit/audit.service';
import { demoCustomerId } from '../../src/demo/seeds/demo-customers';
import { startTestApp, type TestApp } from '../support/app';
import { codeFlowTokens, refreshAsDemoSpa, seedDelegation } from '../support/delegation';
import { ADMIN_ENV, adminToken, api, seedDemo } from '../support/oauth';

/**
 * Disabling a client or a user, or resetting a password, ends every grant: refresh tokens (so that
 * re-enabling does not bring them back) and live access tokens, with one `token.revoked` event.
 */
describe('grant revocation on client disable, user disable and password reset', () => {
  let app: TestApp;
  let admin: string;
  let password: string;
  let demoUserId: string;

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    await seedDemo(app);
    password = await seedDelegation(app);
    admin = await adminToken(app);
    const users = await api(app, '/admin/users?limit=100', admin);
    demoUserId = users.body.data.find((u: { username: string }) => u.username === 'demo').id;
  });
  afterAll(() => app?.stop());

  const login = async () => {
    const res = await codeFlowTokens(app, {
      clientId: 'demo-spa',
      scope: 'customers:read',
      username: 'demo',
      password,
    });
    expect(res.status).toBe(200);
    return res.body as { access_token: string; refresh_token: string };
  };
  const refresh = async (refreshToken: string) =>
    ((await refreshAsDemoSpa(app, refreshToken)).body.error as string | undefined) ?? 'ok';
  const customer = async (token: string) => (await api(app, `/customers/${demoCustomerId(1)}`, token)).status;
  const revokedEvents = async () => {
    await app.app.get(AuditService).flush();
    return (await api(app, '/admin/audit?type=token.revoked&limit=200', admin)).body.data as {
      subject: string | null;
      details: { target: string; reason: string; count: number; refresh_tokens: number };
    }[];
  };
  const post = (path: string, body?: unknown) => api(app, path, admin, { method: 'POST', body });

  it('disabling the user ends its grants; enabling it again does not revive them', async () => {
    const t = await login();
    const before = (await revokedEvents()).length;
    expect((await post(`/admin/users/${demoUserId}/disable`)).status).toBe(200);
    expect((await post(`/admin/users/${demoUserId}/enable`)).status).toBe(200);
    expect(await customer(t.access_token)).toBe(401);
    expect(await refresh(t.refresh_token)).toBe('invalid_grant');
    const events = await revokedEvents();
    expect(events.length).toBe(before + 1);
    expect(events[0]).toMatchObject({
      subject: demoUserId,
      details: { target: 'subject', reason: 'user disabled' },
    });
    expect(events[0].details.count).toBeGreaterThanOrEqual(1);
    expect(events[0].details.refresh_tokens).toBeGreaterThanOrEqual(1);
  });

  it('resetting the password ends the grants obtained with the old one', async () => {
    const t = await login();
    password = 'violet harbour 57 lantern';
    expect((await post(`/admin/users/${demoUserId}/password`, { password })).status).toBe(200);
    expect(await customer(t.access_token)).toBe(401);
    expect(await refresh(t.refresh_token)).toBe('invalid_grant');
    const [event] = await revokedEvents();
    expect(event).toMatchObject({ subject: demoUserId, details: { reason: 'password reset' } });
    expect(event.details.refresh_tokens).toBeGreaterThanOrEqual(1);
  });

  it('disabling the client ends its grants; enabling it again does not revive them', async () => {
    const t = await login();
    expect(await customer(t.access_token)).toBe(200);
    expect((await post('/admin/clients/demo-spa/disable')).status).toBe(200);
    expect((await post('/admin/clients/demo-spa/enable')).status).toBe(200);
    expect(await customer(t.access_token)).toBe(401);
    expect(await refresh(t.refresh_token)).toBe('invalid_grant');
    const [event] = await revokedEvents();
    expect(event).toMatchObject({
      subject: 'demo-spa',
      details: { target: 'clientId', reason: 'client disabled' },
    });
    expect(event.details.refresh_tokens).toBeGreaterThanOrEqual(1);
  });

  it("DELETE /admin/clients/:id/tokens ends the client's grants and counts its access tokens", async () => {
    const t = await login();
    const res = await api(app, '/admin/clients/demo-spa/tokens', admin, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ revoked: 1 });
    expect(await refresh(t.refresh_token)).toBe('invalid_grant');
  });
});
