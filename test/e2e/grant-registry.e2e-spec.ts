import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRANT_HANDLERS, type GrantHandler } from '../../src/oauth/token/grants/grant-handler';
import { SUPPORTED_GRANT_TYPES } from '../../src/protocol/grant-types';
import { startTestApp, type TestApp } from '../support/app';
import { ADMIN_ENV, adminToken, api, seedDemo } from '../support/oauth';

/**
 * The grant handlers the token endpoint runs, the grant types the metadata advertises (RFC 8414 §2)
 * and those client registration accepts (SUPPORTED_GRANT_TYPES) are one list.
 */
describe('grant registry', () => {
  let app: TestApp;
  let registered: string[];

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    registered = app.app.get<GrantHandler[]>(GRANT_HANDLERS).map((h) => h.grantType);
  });
  afterAll(() => app?.stop());

  it('has one handler per supported grant type, and no other', () => {
    expect(new Set(registered).size).toBe(registered.length);
    expect([...registered].sort()).toEqual([...SUPPORTED_GRANT_TYPES].sort());
  });

  it('the metadata advertises exactly the registered grant types', async () => {
    for (const doc of ['oauth-authorization-server', 'openid-configuration']) {
      const meta = (await (await fetch(`${app.url}/.well-known/${doc}`)).json()) as Record<string, unknown>;
      expect(meta.grant_types_supported).toEqual(registered);
    }
  });

  it('client registration accepts every registered grant type and refuses others', async () => {
    await seedDemo(app);
    const admin = await adminToken(app);
    const create = (grant_types: string[]) =>
      api(app, '/admin/clients', admin, {
        method: 'POST',
        body: {
          client_name: `grants ${grant_types.join(' ')}`,
          role: 'viewer',
          grant_types,
          redirect_uris: ['https://app.example/cb'],
        },
      });
    const created = await create(registered);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect([...created.body.grant_types].sort()).toEqual([...registered].sort());
    expect((await create(['password'])).status).toBe(400);
  });
});
