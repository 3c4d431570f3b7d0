import { getDataSourceToken } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app';
import { ADMIN_ENV, adminToken, api, seedDemo } from '../support/oauth';

const DataSourceToken = getDataSourceToken() as unknown as new () => DataSource;

describe('a role in use cannot be deleted', () => {
  let app: TestApp;
  let admin: string;
  const password = 'orange kettle 93 bridge';

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    await seedDemo(app);
    admin = await adminToken(app);
  });
  afterAll(() => app?.stop());

  const call = (path: string, init: Parameters<typeof api>[3] = {}) => api(app, path, admin, init);
  const createRole = async (name: string) =>
    expect(
      (await call('/admin/roles', { method: 'POST', body: { name, scopes: ['customers:read'] } })).status,
    ).toBe(201);

  it('refuses (409) to delete a role a user holds, until the user no longer holds it', async () => {
    await createRole('held-by-user');
    const user = await call('/admin/users', {
      method: 'POST',
      body: { username: 'role-holder', password, roles: ['held-by-user'] },
    });
    expect(user.status).toBe(201);

    const refused = await call('/admin/roles/held-by-user', { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toBe('role held-by-user is assigned to a user');
    expect((await call('/admin/roles/held-by-user')).status).toBe(200);
    expect((await call(`/admin/users/${user.body.id}`)).body.roles).toEqual(['held-by-user']);

    const unassigned = await call(`/admin/users/${user.body.id}`, { method: 'PATCH', body: { roles: [] } });
    expect(unassigned.status).toBe(200);
    expect((await call('/admin/roles/held-by-user', { method: 'DELETE' })).status).toBe(204);

    // A new role of the same name grants nothing to the former holder.
    await createRole('held-by-user');
    expect((await call(`/admin/users/${user.body.id}`)).body.roles).toEqual([]);
  });

  it('refuses (409) to delete a role a client holds, until the client no longer holds it', async () => {
    await createRole('held-by-client');
    const client = await call('/admin/clients', {
      method: 'POST',
      body: { client_name: 'role holder', role: 'held-by-client' },
    });
    expect(client.status).toBe(201);

    const refused = await call('/admin/roles/held-by-client', { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toBe('role held-by-client is assigned to a client');
    expect((await call('/admin/roles/held-by-client')).status).toBe(200);

    const moved = await call(`/admin/clients/${client.body.client_id}`, {
      method: 'PATCH',
      body: { role: 'viewer' },
    });
    expect(moved.status).toBe(200);
    expect((await call('/admin/roles/held-by-client', { method: 'DELETE' })).status).toBe(204);
  });

  it('refuses (400) to give a user or a client a role that does not exist', async () => {
    const user = await call('/admin/users', {
      method: 'POST',
      body: { username: 'no-such-role', password, roles: ['ghost-role'] },
    });
    expect(user.status).toBe(400);
    const client = await call('/admin/clients', {
      method: 'POST',
      body: { client_name: 'no such role', role: 'ghost-role' },
    });
    expect(client.status).toBe(400);
  });

  describe('in the database, whatever the code path', () => {
    type Db = Pick<Client, 'query'>;
    const insertUser = (db: Db, ...roles: (string | null)[]) =>
      db.query(`INSERT INTO users (id, username, password_hash, roles) VALUES ($1, $2, 'x', $3)`, [
        randomUUID(),
        `u-${randomUUID().slice(0, 8)}`,
        roles,
      ]);

    it('refuses a user holding an unknown role, and deleting a role a user holds (SQLSTATE 23503)', async () => {
      await createRole('db-held');
      const db = app.app.get(DataSourceToken) as unknown as Db;
      await expect(insertUser(db, 'ghost-role')).rejects.toMatchObject({ code: '23503', table: 'users' });
      // A NULL first element must not hide the unknown role behind it (NOT IN over no rows is true).
      await expect(insertUser(db, null, 'ghost-role')).rejects.toMatchObject({ code: '23503' });
      await expect(insertUser(db, null)).rejects.toMatchObject({ code: '23503' });
      await insertUser(db, 'db-held');
      await expect(db.query(`DELETE FROM roles WHERE name = 'db-held'`)).rejects.toMatchObject({
        code: '23503',
        table: 'users',
      });
    });

    /** A connection of its own (a server only: the embedded database has a single session). */
    const sql = async <T>(run: (db: Client) => Promise<T>): Promise<T> => {
      const db = new Client({ connectionString: app.db.url });
      await db.connect();
      try {
        return await run(db);
      } finally {
        await db.end();
      }
    };
    const server = Boolean(process.env.TEST_DATABASE_URL);
    const settled = (p: Promise<unknown>) =>
      Promise.race([
        p.then(
          () => 'done',
          () => 'failed',
        ),
        new Promise((r) => setTimeout(() => r('waiting'), 300)),
      ]);

    it.runIf(server)('a delete waits for an uncommitted assignment, then is refused', async () => {
      await createRole('race-a');
      await sql((first) =>
        sql(async (second) => {
          await first.query('BEGIN');
          await insertUser(first, 'race-a');
          const deletion = second.query(`DELETE FROM roles WHERE name = 'race-a'`);
          deletion.catch(() => undefined);
          expect(await settled(deletion)).toBe('waiting');
          await first.query('COMMIT');
          await expect(deletion).rejects.toMatchObject({ code: '23503', table: 'users' });
        }),
      );
    });

    it.runIf(server)('an assignment waits for an uncommitted delete, then is refused', async () => {
      await createRole('race-b');
      await sql((first) =>
        sql(async (second) => {
          await first.query('BEGIN');
          await first.query(`DELETE FROM roles WHERE name = 'race-b'`);
          const assignment = insertUser(second, 'race-b');
          assignment.catch(() => undefined);
          expect(await settled(assignment)).toBe('waiting');
          await first.query('COMMIT');
          await expect(assignment).rejects.toMatchObject({ code: '23503', table: 'users' });
        }),
      );
    });
  });
});
