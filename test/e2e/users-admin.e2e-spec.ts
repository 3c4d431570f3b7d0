import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app';
import { ADMIN_ENV, adminToken, api, seedDemo } from '../support/oauth';

describe('/admin/users', () => {
  let app: TestApp;
  let admin: string;
  const pw = 'orange kettle 93 bridge';

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    await seedDemo(app);
    admin = await adminToken(app);
  });
  afterAll(() => app?.stop());

  const users = (path: string, init: Parameters<typeof api>[3] = {}) =>
    api(app, `/admin/users${path}`, admin, init);
  const login = (username: string, password: string) =>
    fetch(`${app.url}/auth`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
    }).then((r) => r.status);

  it('creates a user (201, never returning the password), gets, lists and updates it', async () => {
    const created = await users('', {
      method: 'POST',
      body: {
        username: 'Alice',
        password: pw,
        name: 'Alice A',
        email: 'alice@example.com',
        roles: ['viewer'],
        simple_login: true,
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      username: 'Alice',
      name: 'Alice A',
      email: 'alice@example.com',
      roles: ['viewer'],
      status: 'active',
      simple_login: true,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(JSON.stringify(created.body)).not.toContain(pw);
    const id = created.body.id;
    expect((await users(`/${id}`)).body.username).toBe('Alice');
    const list = await users('?limit=10');
    expect(list.body.data.map((u: { id: string }) => u.id)).toContain(id);
    const updated = await users(`/${id}`, {
      method: 'PATCH',
      body: { roles: ['manager', 'viewer'], name: 'Alice B' },
    });
    expect(updated.body).toMatchObject({ roles: ['manager', 'viewer'], name: 'Alice B' });
    expect(await login('alice', pw)).toBe(200);
  });

  it('usernames are unique regardless of case', async () => {
    const res = await users('', { method: 'POST', body: { username: 'ALICE', password: pw, roles: [] } });
    expect(res.status).toBe(409);
  });

  it.each([
    ['too short', 'short1'],
    ['common', 'password123'],
    ['containing the username', 'bob-the-builder-2026'],
  ])('refuses a weak password (%s) with a clear message', async (_n, password) => {
    const res = await users('', { method: 'POST', body: { username: 'bob', password, roles: [] } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/password/);
  });

  it('refuses unknown roles, malformed usernames and unknown fields', async () => {
    expect(
      (await users('', { method: 'POST', body: { username: 'carol', password: pw, roles: ['nope'] } }))
        .status,
    ).toBe(400);
    expect((await users('', { method: 'POST', body: { username: 'a b', password: pw } })).status).toBe(400);
    expect(
      (await users('', { method: 'POST', body: { username: 'carol', password: pw, password_hash: 'x' } }))
        .status,
    ).toBe(400);
  });

  it('disables (no more sign-in) and resets the password', async () => {
    const { body } = await users('', {
      method: 'POST',
      body: { username: 'dave', password: pw, roles: ['viewer'], simple_login: true },
    });
    const issued = await fetch(`${app.url}/auth`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`dave:${pw}`).toString('base64')}` },
    });
    const token = issued.headers.get('authorization')!.slice('Bearer '.length);
    expect((await api(app, '/customers?limit=1', token)).status).toBe(200);
    expect((await users(`/${body.id}/disable`, { method: 'POST' })).body.status).toBe('disabled');
    // Disabling ends what the user obtained: their access tokens are revoked at once.
    expect((await api(app, '/customers?limit=1', token)).status).toBe(401);
    expect(await login('dave', pw)).toBe(401);
    expect((await users(`/${body.id}/enable`, { method: 'POST' })).body.status).toBe('active');
    expect(
      (await users(`/${body.id}/password`, { method: 'POST', body: { password: 'short' } })).status,
    ).toBe(400);
    const newPw = 'violet harbour 17 cedar';
    expect((await users(`/${body.id}/password`, { method: 'POST', body: { password: newPw } })).status).toBe(
      200,
    );
    expect(await login('dave', pw)).toBe(401);
    expect(await login('dave', newPw)).toBe(200);
  });

  it('404 for unknown ids, 401/403 without the admin scope', async () => {
    expect((await users('/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await users('/not-a-uuid')).status).toBe(404);
    expect((await api(app, '/admin/users', undefined)).status).toBe(401);
  });

  it('audits admin changes without passwords', async () => {
    const res = await api(app, '/admin/audit?type=admin.user.created', admin);
    expect(res.body.data.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(res.body)).not.toContain(pw);
  });
});
