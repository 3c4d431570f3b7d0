import { getDataSourceToken } from '@nestjs/typeorm';
import { createPrivateKey, randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeKey, decrypt } from '../../src/platform/crypto';
import { freePort, startTestApp, TEST_KEYS_ENCRYPTION_KEY, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { ADMIN_ENV, ADMIN_ID, ADMIN_SECRET, adminToken, api, basic } from '../support/oauth';
import { sharedInstanceEnv, spawnServer, waitForOk, type Spawned } from '../support/process';

const DataSourceToken = getDataSourceToken() as unknown as new () => DataSource;

/** A signing key's private part, as someone who stole it from the database and KEYS_ENCRYPTION_KEY would have it. */
async function stolenKey(app: TestApp, kid: string) {
  const db = app.app.get(DataSourceToken);
  const [row] = (await db.query(`SELECT alg, private_key_enc FROM signing_keys WHERE kid = $1`, [kid])) as {
    alg: string;
    private_key_enc: Buffer;
  }[];
  const der = decrypt(decodeKey(TEST_KEYS_ENCRYPTION_KEY), row.private_key_enc, kid);
  return { alg: row.alg, key: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) };
}

/** An admin access token the server never issued, signed with the stolen key. */
async function forge(app: TestApp, kid: string, like: string): Promise<string> {
  const { alg, key } = await stolenKey(app, kid);
  const claims = decodeJwt(like);
  return new SignJWT({ ...claims, jti: randomUUID() })
    .setProtectedHeader({ alg, typ: 'at+jwt', kid })
    .sign(key);
}

describe('emergency revocation of a signing key (POST /admin/keys/:kid/revoke)', () => {
  let app: TestApp;

  const keys = async (token: string) =>
    (await api(app, '/admin/keys', token)).body as {
      kid: string;
      status: string;
      revoked_at: string | null;
    }[];
  const jwksKids = async () =>
    (
      (await (await fetch(`${app.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }
    ).keys.map((k) => k.kid);

  beforeAll(async () => {
    app = await startTestApp({ ...ADMIN_ENV, KEY_PUBLISH_LEAD: '3600' });
  });
  afterAll(() => app?.stop());

  it('refuses every token of the revoked active key at once, and signs with a new key', async () => {
    const admin = await adminToken(app);
    const kid = decodeProtectedHeader(admin).kid!;
    const forged = await forge(app, kid, admin);
    // Before: the forged token opens the admin API, and the real one is cached as verified.
    expect((await api(app, '/admin/users', forged)).status).toBe(200);
    expect((await api(app, '/admin/users', admin)).status).toBe(200);
    expect(await jwksKids()).toContain(kid);

    const res = await api(app, `/admin/keys/${kid}/revoke`, admin, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kid, status: 'revoked' });
    expect(res.body.revoked_at).toEqual(expect.any(String));

    expect((await api(app, '/admin/users', forged)).status).toBe(401);
    expect((await api(app, '/admin/users', admin)).status).toBe(401); // not served from the verified cache
    expect(await jwksKids()).not.toContain(kid);

    const fresh = await adminToken(app);
    const newKid = decodeProtectedHeader(fresh).kid;
    expect(newKid).not.toBe(kid);
    expect(await jwksKids()).toContain(newKid);
    expect((await api(app, '/admin/users', fresh)).status).toBe(200);
    expect((await keys(fresh)).find((k) => k.kid === kid)).toMatchObject({ status: 'revoked' });
    // The private part of a revoked key is not kept.
    const [row] = await app.app
      .get(DataSourceToken)
      .query(`SELECT private_key_enc FROM signing_keys WHERE kid = $1`, [kid]);
    expect(row.private_key_enc).toBeNull();

    const audit = (await api(app, '/admin/audit?type=key.revoked', fresh)).body.data;
    expect(audit).toEqual([
      expect.objectContaining({
        type: 'key.revoked',
        outcome: 'success',
        actor: ADMIN_ID,
        client_id: ADMIN_ID,
        subject: kid,
        details: expect.objectContaining({ previous_status: 'active', replaced_by: newKid }),
      }),
    ]);
  });

  it('promotes the published next key when the active one is revoked', async () => {
    const admin = await adminToken(app);
    const next = await api(app, '/admin/keys/rotate', admin, { method: 'POST', body: {} });
    expect(next.body.status).toBe('next');
    const active = decodeProtectedHeader(admin).kid!;
    expect((await api(app, `/admin/keys/${active}/revoke`, admin, { method: 'POST' })).status).toBe(200);
    const fresh = await adminToken(app);
    expect(decodeProtectedHeader(fresh).kid).toBe(next.body.kid);
    expect((await keys(fresh)).find((k) => k.kid === next.body.kid)?.status).toBe('active');
  });

  it('revokes a published next key without touching the active one', async () => {
    const admin = await adminToken(app);
    const next = await api(app, '/admin/keys/rotate', admin, { method: 'POST', body: {} });
    expect((await api(app, `/admin/keys/${next.body.kid}/revoke`, admin, { method: 'POST' })).status).toBe(
      200,
    );
    expect(await jwksKids()).not.toContain(next.body.kid);
    expect((await api(app, '/admin/users', admin)).status).toBe(200);
    expect(decodeProtectedHeader(await adminToken(app)).kid).toBe(decodeProtectedHeader(admin).kid);
  });

  it('answers 404 for an unknown kid and 409 for a key already revoked', async () => {
    const admin = await adminToken(app);
    expect((await api(app, '/admin/keys/no-such-kid/revoke', admin, { method: 'POST' })).status).toBe(404);
    const revoked = (await keys(admin)).find((k) => k.status === 'revoked')!;
    const again = await api(app, `/admin/keys/${revoked.kid}/revoke`, admin, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(again.body.message).toBe(`key ${revoked.kid} is already revoked`);
  });

  it('requires the admin scope', async () => {
    const admin = await adminToken(app);
    const kid = decodeProtectedHeader(admin).kid!;
    expect((await api(app, `/admin/keys/${kid}/revoke`, undefined, { method: 'POST' })).status).toBe(401);
  });
});

/** The revocation reaches every instance (LISTEN/NOTIFY needs a real server). */
describe.skipIf(!process.env.TEST_DATABASE_URL)('key revocation across two instances', () => {
  let db: TestDatabase;
  let a: Spawned;
  let b: Spawned;
  let urlA: string;
  let urlB: string;

  const start = async () => {
    const port = await freePort();
    const proc = spawnServer({
      ...sharedInstanceEnv(db.url),
      PORT: String(port),
    });
    const url = `http://127.0.0.1:${port}`;
    await waitForOk(`${url}/health/ready`, 60_000);
    return { proc, url };
  };
  const token = async (url: string) => {
    const res = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: basic(ADMIN_ID, ADMIN_SECRET),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    return ((await res.json()) as { access_token: string }).access_token;
  };
  const status = async (url: string, t: string, path = '/admin/users', method = 'GET') =>
    (await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${t}` } })).status;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ proc: a, url: urlA } = await start());
    ({ proc: b, url: urlB } = await start());
  }, 120_000);
  afterAll(async () => {
    for (const p of [a, b]) if (p && p.child.exitCode === null) p.child.kill('SIGTERM');
    await Promise.all([a?.exited, b?.exited]);
    await db?.drop();
  });

  it('a token of a key revoked through one instance is refused by the other within 1 s', async () => {
    const t = await token(urlA);
    const kid = decodeProtectedHeader(t).kid!;
    expect(await status(urlB, t)).toBe(200); // B has verified (and cached) it
    expect(await status(urlA, t, `/admin/keys/${kid}/revoke`, 'POST')).toBe(200);
    const t0 = Date.now();
    while ((await status(urlB, t)) !== 401) {
      expect(Date.now() - t0).toBeLessThan(1000);
      await new Promise((r) => setTimeout(r, 25));
    }
    const jwks = (await (await fetch(`${urlB}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).not.toContain(kid);
    // B signs with the replacement, never with the revoked key.
    const fromB = await token(urlB);
    expect(decodeProtectedHeader(fromB).kid).not.toBe(kid);
    expect(await status(urlA, fromB)).toBe(200);
  });
});
