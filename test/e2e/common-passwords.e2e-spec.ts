import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app';
import { ADMIN_ENV, adminToken, api, seedDemo } from '../support/oauth';

/** NIST SP 800-63B §5.1.1.2: a password on a list of commonly used ones is refused, with the reason. */
describe('POST /admin/users refuses commonly used passwords', () => {
  let app: TestApp;
  let admin: string;

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    await seedDemo(app);
    admin = await adminToken(app);
  });
  afterAll(() => app?.stop());

  const create = (username: string, password: string) =>
    api(app, '/admin/users', admin, { method: 'POST', body: { username, password, roles: ['viewer'] } });

  it.each(['qwerty123456', 'password12', '1qaz2wsx3edc', 'Football123'])(
    'refuses %j with 400 and the reason',
    async (password) => {
      const res = await create('carol', password);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toMatch(/password is too common/);
    },
  );

  it('accepts an uncommon passphrase', async () => {
    const res = await create('carol', 'lantern meadow 58 quartz');
    expect(res.status).toBe(201);
  });
});
