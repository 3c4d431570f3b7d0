import { getDataSourceToken } from '@nestjs/typeorm';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsentsService } from '../../src/tokens/consents/consents.service';
import { startTestApp, type TestApp } from '../support/app';
import { createUser } from '../support/delegation';
import { ADMIN_ENV, adminToken, api, seedDemo } from '../support/oauth';

const DataSourceToken = getDataSourceToken() as unknown as new () => DataSource;

/** A scope a client, a role or a remembered consent still names cannot be deleted (409). */
describe('a scope in use cannot be deleted', () => {
  let app: TestApp;
  let admin: string;

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    await seedDemo(app);
    admin = await adminToken(app);
  });
  afterAll(() => app?.stop());

  const call = (path: string, init: Parameters<typeof api>[3] = {}) => api(app, path, admin, init);
  const createScope = async (name: string) =>
    expect((await call('/admin/scopes', { method: 'POST', body: { name } })).status).toBe(201);

  it('refuses (409) to delete a scope a role-less client lists, until the client no longer lists it', async () => {
    await createScope('x');
    const client = await call('/admin/clients', {
      method: 'POST',
      body: { client_name: 'explicit scope', scope: 'x' },
    });
    expect(client.status).toBe(201);
    const id = client.body.client_id as string;

    const refused = await call('/admin/scopes/x', { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toBe(`scope x is used by client(s) ${id}`);
    expect((await call('/admin/scopes/x')).status).toBe(200);

    expect((await call(`/admin/clients/${id}`, { method: 'PATCH', body: { scope: '' } })).status).toBe(200);
    expect((await call('/admin/scopes/x', { method: 'DELETE' })).status).toBe(204);

    // Re-created, the scope is not granted to the former holder.
    await createScope('x');
    expect((await call(`/admin/clients/${id}`)).body.scope).toBe('');
  });

  it('refuses (409) to delete a scope a role lists, naming the role', async () => {
    await createScope('in-role');
    expect(
      (await call('/admin/roles', { method: 'POST', body: { name: 'r-in-role', scopes: ['in-role'] } }))
        .status,
    ).toBe(201);
    const refused = await call('/admin/scopes/in-role', { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toBe('scope in-role is used by role(s) r-in-role');
  });

  it('refuses (409) to delete a scope a user has consented to, until the consent is gone', async () => {
    await createScope('consented');
    const user = await createUser(app, admin, {
      username: 'consenting',
      password: 'orange kettle 93 bridge',
      roles: [],
    });
    const client = await call('/admin/clients', { method: 'POST', body: { client_name: 'consent holder' } });
    await app.app.get(ConsentsService).remember(user.id, client.body.client_id, ['consented']);

    const refused = await call('/admin/scopes/consented', { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toBe('scope consented is used by the consent(s) of 1 user(s)');

    await app.app.get(DataSourceToken).query(`DELETE FROM consents WHERE user_id = $1`, [user.id]);
    expect((await call('/admin/scopes/consented', { method: 'DELETE' })).status).toBe(204);
  });

  it('refuses (400) to give a client or a role a scope that does not exist', async () => {
    const client = await call('/admin/clients', {
      method: 'POST',
      body: { client_name: 'ghost', scope: 'ghost-scope' },
    });
    expect(client.status).toBe(400);
    const role = await call('/admin/roles', {
      method: 'POST',
      body: { name: 'ghost', scopes: ['ghost-scope'] },
    });
    expect(role.status).toBe(400);
  });

  describe('in the database, whatever the code path', () => {
    type Db = Pick<Client, 'query'>;
    const setClientScopes = (db: Db, id: string, scopes: string[]) =>
      db.query(`UPDATE clients SET scopes = $2 WHERE client_id = $1`, [id, scopes]);
    const newClient = async () =>
      (await call('/admin/clients', { method: 'POST', body: { client_name: 'db client' } })).body
        .client_id as string;

    it('refuses an unknown scope in clients, roles and consents, and deleting a held scope (SQLSTATE 23503)', async () => {
      const db = app.app.get(DataSourceToken) as unknown as Db;
      const id = await newClient();
      await expect(setClientScopes(db, id, ['ghost-scope'])).rejects.toMatchObject({ code: '23503' });
      await expect(setClientScopes(db, id, [null as unknown as string])).rejects.toMatchObject({
        code: '23503',
      });
      await expect(
        db.query(`INSERT INTO roles (name, scopes) VALUES ('db-ghost', '{ghost-scope}')`),
      ).rejects.toMatchObject({ code: '23503' });
      await createScope('db-held');
      await setClientScopes(db, id, ['db-held']);
      await expect(db.query(`DELETE FROM scopes WHERE name = 'db-held'`)).rejects.toMatchObject({
        code: '23503',
      });
      await expect(
        db.query(`UPDATE scopes SET name = 'renamed' WHERE name = 'db-held'`),
      ).rejects.toMatchObject({
        code: '23503',
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
      await createScope('race-a');
      const id = await newClient();
      await sql((first) =>
        sql(async (second) => {
          await first.query('BEGIN');
          await setClientScopes(first, id, ['race-a']);
          const deletion = second.query(`DELETE FROM scopes WHERE name = 'race-a'`);
          deletion.catch(() => undefined);
          expect(await settled(deletion)).toBe('waiting');
          await first.query('COMMIT');
          await expect(deletion).rejects.toMatchObject({ code: '23503' });
        }),
      );
    });

    it.runIf(server)('an assignment waits for an uncommitted delete, then is refused', async () => {
      await createScope('race-b');
      const id = await newClient();
      await sql((first) =>
        sql(async (second) => {
          await first.query('BEGIN');
          await first.query(`DELETE FROM scopes WHERE name = 'race-b'`);
          const assignment = setClientScopes(second, id, ['race-b']);
          assignment.catch(() => undefined);
          expect(await settled(assignment)).toBe('waiting');
          await first.query('COMMIT');
          await expect(assignment).rejects.toMatchObject({ code: '23503' });
        }),
      );
    });
  });
});
