import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoCredential } from '../../src/demo/seeds/demo-seeder';
import { demoCustomerId } from '../../src/demo/seeds/demo-customers';
import { startTestApp, type TestApp } from '../support/app';
import { accessToken, ADMIN_ENV, api, seedDemo } from '../support/oauth';

const ALWAYS = ['created_at', 'id'];
const PROFILE = ['age', 'email', 'name'];
const ADDRESS = ['city', 'country', 'postal_code', 'street'];
const BANKING = ['balance', 'credit_limit', 'iban'];
const sorted = (xs: string[]) => [...xs].sort();

describe('customer API: scopes decide the fields', () => {
  let app: TestApp;
  let creds: Record<string, DemoCredential>;
  const tokenFor = (role: string, scope?: string) =>
    accessToken(app, creds[role].client_id, creds[role].client_secret, scope);
  const id = demoCustomerId(7);

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    creds = await seedDemo(app);
  });
  afterAll(() => app?.stop());

  it.each([
    ['viewer', undefined, ALWAYS],
    ['salesperson', undefined, [...ALWAYS, ...PROFILE]],
    ['manager', undefined, [...ALWAYS, ...PROFILE, ...ADDRESS]],
    ['editor', undefined, [...ALWAYS, ...PROFILE, ...ADDRESS]],
    ['admin', undefined, [...ALWAYS, ...PROFILE, ...ADDRESS, ...BANKING]],
    ['admin down-scoped to read + banking', 'customers:read customers:banking', [...ALWAYS, ...BANKING]],
    ['manager down-scoped to read', 'customers:read', ALWAYS],
  ])('%s sees exactly its fields on GET /customers/:id and in lists', async (label, scope, fields) => {
    const role = label.split(' ')[0];
    const token = await tokenFor(role, scope);
    const one = await api(app, `/customers/${id}`, token);
    expect(one.status).toBe(200);
    expect(sorted(Object.keys(one.body))).toEqual(sorted(fields));
    expect(one.body.id).toBe(id);

    const list = await api(app, '/customers?limit=5', token);
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(5);
    for (const c of list.body.data) expect(sorted(Object.keys(c))).toEqual(sorted(fields));
    expect(typeof list.body.next_cursor).toBe('string');
  });

  it('a token without customers:read gets 403 insufficient_scope', async () => {
    const token = await tokenFor('admin', 'admin');
    const res = await api(app, `/customers/${id}`, token);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="scopegate", error="insufficient_scope", error_description="This request requires the scope customers:read", scope="customers:read"',
    );
    expect(res.body).toEqual({
      error: 'insufficient_scope',
      error_description: 'This request requires the scope customers:read',
    });
  });

  it('pages through all 1,000 demo customers with the cursor, without repeats', async () => {
    const token = await tokenFor('viewer');
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await api(app, `/customers?limit=100${cursor ? `&cursor=${cursor}` : ''}`, token);
      expect(res.status).toBe(200);
      for (const c of res.body.data) seen.add(c.id);
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor && pages < 20);
    expect(seen.size).toBeGreaterThanOrEqual(1000);
    expect(pages).toBe(Math.ceil(seen.size / 100));
  });

  it.each([
    ['limit above 100', '/customers?limit=101', 400],
    ['limit zero', '/customers?limit=0', 400],
    ['limit not a number', '/customers?limit=abc', 400],
    ['garbage cursor', '/customers?cursor=%%%', 400],
    ['unknown parameter', '/customers?foo=1', 400],
    ['unknown id', `/customers/${demoCustomerId(999_999)}`, 404],
    ['id that is not a uuid', '/customers/not-a-uuid', 404],
    ['id with SQL', "/customers/1'%20OR%201=1--", 404],
  ])('%s → %i', async (_n, path, status) => {
    const token = await tokenFor('viewer');
    const res = await api(app, path, token);
    expect(res.status).toBe(status);
    expect(JSON.stringify(res.body)).not.toMatch(/QueryFailedError|\bat \w+ \(/);
  });

  describe('PATCH /customers/:id', () => {
    it('the editor updates profile and address fields and sees the result filtered', async () => {
      const token = await tokenFor('editor');
      const res = await api(app, `/customers/${id}`, token, {
        method: 'PATCH',
        body: { name: 'Grace Hopper', city: 'Arlington' },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id, name: 'Grace Hopper', city: 'Arlington' });
      expect(res.body).not.toHaveProperty('iban');
      const again = await api(app, `/customers/${id}`, token);
      expect(again.body.name).toBe('Grace Hopper');
    });

    it('writing a banking field needs customers:banking', async () => {
      const token = await tokenFor('editor');
      const res = await api(app, `/customers/${id}`, token, {
        method: 'PATCH',
        body: { iban: 'DE89370400440532013000' },
      });
      expect(res.status).toBe(403);
      expect(res.body.error).toBe('insufficient_scope');
      expect(res.headers.get('www-authenticate')).toContain('scope="customers:banking"');
    });

    it('the manager (no customers:write) is refused', async () => {
      const res = await api(app, `/customers/${id}`, await tokenFor('manager'), {
        method: 'PATCH',
        body: { name: 'X' },
      });
      expect(res.status).toBe(403);
      expect(res.headers.get('www-authenticate')).toContain('scope="customers:write"');
    });

    it.each([
      ['invalid email', { email: 'not-an-email' }, 400],
      ['age out of range', { age: 500 }, 400],
      ['unknown field', { password: 'x' }, 400],
      ['wrong type', { name: 42 }, 400],
      ['empty body', {}, 400],
    ])('%s → %i', async (_n, body, status) => {
      const res = await api(app, `/customers/${id}`, await tokenFor('admin'), { method: 'PATCH', body });
      expect(res.status).toBe(status);
    });

    it('unknown id → 404', async () => {
      const res = await api(app, `/customers/${demoCustomerId(5000)}`, await tokenFor('editor'), {
        method: 'PATCH',
        body: { name: 'X' },
      });
      expect(res.status).toBe(404);
    });
  });
});
