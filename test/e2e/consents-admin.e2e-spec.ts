import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditService } from '../../src/audit/audit.service';
import { demoCustomerId } from '../../src/demo/seeds/demo-customers';
import { startTestApp, type TestApp } from '../support/app';
import {
  authorizeFlow,
  codeFlowTokens,
  pkcePair,
  refreshAsDemoSpa,
  seedDelegation,
  CALLBACK,
} from '../support/delegation';
import { ADMIN_ENV, ADMIN_ID, adminToken, api, seedDemo } from '../support/oauth';

/** Remembered consents can be listed and revoked by an admin; revoking one ends the grants it backed. */
describe('consents in the admin API', () => {
  let app: TestApp;
  let admin: string;
  let password: string;
  let userId: string;

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    await seedDemo(app);
    password = await seedDelegation(app);
    admin = await adminToken(app);
    const users = await api(app, '/admin/users?limit=100', admin);
    userId = users.body.data.find((u: { username: string }) => u.username === 'demo').id;
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

  it('lists a user’s consents, revokes one with its refresh and access tokens, and audits it', async () => {
    const before = await api(app, `/admin/users/${userId}/consents`, admin);
    expect(before.status).toBe(200);
    expect(before.body).toEqual([]);

    const tokens = await login();
    const listed = await api(app, `/admin/users/${userId}/consents`, admin);
    expect(listed.body).toEqual([
      { client_id: 'demo-spa', scopes: ['customers:read'], granted_at: expect.any(String) },
    ]);

    const revoked = await api(app, `/admin/users/${userId}/consents/demo-spa`, admin, { method: 'DELETE' });
    expect(revoked.status).toBe(204);
    expect((await api(app, `/admin/users/${userId}/consents`, admin)).body).toEqual([]);

    expect((await refreshAsDemoSpa(app, tokens.refresh_token)).body.error).toBe('invalid_grant');
    expect((await api(app, `/customers/${demoCustomerId(1)}`, tokens.access_token)).status).toBe(401);

    // The consent page is shown again.
    const { challenge } = pkcePair();
    const again = await authorizeFlow(
      app,
      {
        response_type: 'code',
        client_id: 'demo-spa',
        redirect_uri: CALLBACK,
        scope: 'customers:read',
        state: 's',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      },
      { username: 'demo', password },
    );
    expect(again.consentShown).toBe(true);

    await app.app.get(AuditService).flush();
    const events = (await api(app, '/admin/audit?type=consent.revoked', admin)).body.data;
    expect(events).toEqual([
      expect.objectContaining({
        actor: ADMIN_ID,
        client_id: ADMIN_ID,
        subject: userId,
        details: expect.objectContaining({ consent_client_id: 'demo-spa', scopes: ['customers:read'] }),
      }),
    ]);
  });

  it('leaves the user’s grants of other clients alone', async () => {
    const tokens = await login();
    // A consent of another client, revoked: demo-spa's grant stays.
    const other = await api(app, `/admin/users/${userId}/consents/someone-else`, admin, { method: 'DELETE' });
    expect(other.status).toBe(404);
    expect((await refreshAsDemoSpa(app, tokens.refresh_token)).status).toBe(200);
  });

  it('answers 404 for an unknown user (or a malformed id) and requires the admin scope', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await api(app, `/admin/users/${unknown}/consents`, admin)).status).toBe(404);
    expect((await api(app, `/admin/users/not-a-uuid/consents`, admin)).status).toBe(404);
    expect(
      (await api(app, `/admin/users/${unknown}/consents/demo-spa`, admin, { method: 'DELETE' })).status,
    ).toBe(404);
    expect((await api(app, `/admin/users/${userId}/consents`, undefined)).status).toBe(401);
  });
});
