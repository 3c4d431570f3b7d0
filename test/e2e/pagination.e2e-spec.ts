import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app';
import { ADMIN_ENV, adminToken, api, seedDemo } from '../support/oauth';

/** Keyset pagination (src/platform/pagination/keyset.ts) on every admin list that uses it. */
describe('cursor pagination of the admin lists', () => {
  let app: TestApp;
  let admin: string;

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    await seedDemo(app);
    admin = await adminToken(app);
    for (const username of ['page-a', 'page-b', 'page-c', 'page-d', 'page-e']) {
      const res = await api(app, '/admin/users', admin, {
        method: 'POST',
        body: { username, password: 'orange kettle 93 bridge', roles: ['viewer'] },
      });
      expect(res.status).toBe(201);
    }
  });
  afterAll(() => app?.stop());

  /** Every page of a list, two at a time, following next_cursor. */
  async function walk(path: string, key: string): Promise<unknown[][]> {
    const pages: unknown[][] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const res = await api(app, `${path}${sep}limit=2${cursor ? `&cursor=${cursor}` : ''}`, admin);
      expect(res.status).toBe(200);
      pages.push(res.body.data.map((row: Record<string, unknown>) => row[key]));
      cursor = res.body.next_cursor;
    } while (cursor && pages.length < 100);
    return pages;
  }

  it.each([
    ['/admin/users', 'id', 'ascending'],
    ['/admin/clients', 'client_id', 'ascending'],
    ['/admin/audit?type=admin.user.created', 'id', 'descending'],
  ])('%s: pages of two, in %s key order, end to end as one page', async (path, key, order) => {
    const pages = await walk(path, key);
    const keys = pages.flat();
    const sep = path.includes('?') ? '&' : '?';
    const all = await api(app, `${path}${sep}limit=100`, admin);
    expect(all.body.next_cursor).toBeNull();
    expect(keys).toEqual(all.body.data.map((row: Record<string, unknown>) => row[key]));
    expect(keys.length).toBeGreaterThanOrEqual(5);
    expect(pages.slice(0, -1).every((p) => p.length === 2)).toBe(true);
    expect(pages[pages.length - 1].length).toBeGreaterThan(0);
    // uuids and audit ids order the same in JS as in the database (client ids follow its collation).
    if (path === '/admin/users') expect(keys).toEqual([...keys].sort());
    if (order === 'descending') expect(keys).toEqual([...keys].sort((a, b) => Number(b) - Number(a)));
  });

  it.each(['/admin/users', '/admin/clients', '/admin/audit'])(
    '%s: a malformed cursor is a 400',
    async (path) => {
      expect(
        (await api(app, `${path}?cursor=${Buffer.from('bad key!').toString('base64url')}`, admin)).status,
      ).toBe(400);
    },
  );
});
