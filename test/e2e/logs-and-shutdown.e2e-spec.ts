import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type TestApp } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { codeFlowTokens } from '../support/delegation';
import { ADMIN_ID, ADMIN_SECRET, basic } from '../support/oauth';
import { spawnServer, waitForOk, type Spawned } from '../support/process';

/** The built server as `npm start` runs it, on a server database, logging at trace level. */
describe('the running server: secrets stay out of logs; SIGTERM finishes in-flight requests', () => {
  let db: TestDatabase;
  let server: Spawned;
  let base: string;
  let port: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    server = spawnServer({
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: String(db.poolSize),
      PORT: String(port),
      ISSUER: base,
      LOG_LEVEL: 'trace',
      KEYS_ENCRYPTION_KEY: 'q3X9vJ2mTz8LwR5nB1cY7uK4pH6sD0fG2aE8iO3lN5w',
      SECRET_PEPPER: 'a-test-pepper-that-is-long-enough-0123456789',
      AUDIT_KEY: 'dGVzdC1hdWRpdC1rZXktb2YtMzItYnl0ZXMtZm9yLWUyZQ',
      ADMIN_CLIENT_ID: ADMIN_ID,
      ADMIN_CLIENT_SECRET: ADMIN_SECRET,
      SEED_DEMO: 'true',
    });
    await waitForOk(`${base}/health/ready`, 60_000);
  }, 90_000);

  afterAll(async () => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await db?.drop();
  });

  it('writes no secret, API key, token or Authorization header to stdout or stderr', async () => {
    const token = async (auth: string, extra: Record<string, string> = {}) => {
      const res = await fetch(`${base}/oauth/token`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded', ...extra },
        body: 'grant_type=client_credentials',
      });
      return (await res.json()) as Record<string, string>;
    };
    const admin = (await token(basic(ADMIN_ID, ADMIN_SECRET))).access_token;
    const created = (await (
      await fetch(`${base}/admin/clients`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: 'log scan', role: 'manager', require_api_key: true }),
      })
    ).json()) as Record<string, string>;
    const access = (
      await token(basic(created.client_id, created.client_secret), { 'x-api-key': created.api_key })
    ).access_token;
    expect(access).toBeTruthy();
    await fetch(`${base}/customers?limit=2`, { headers: { authorization: `Bearer ${access}` } });
    await fetch(`${base}/customers?access_token=${access}`);
    await token(basic(created.client_id, 'wrong-secret-value-123'), { 'x-api-key': created.api_key });
    await token(basic(created.client_id, created.client_secret), { 'x-api-key': 'wrong-api-key-value-456' });
    await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: created.client_id,
        client_secret: 'posted-secret-789',
      }),
    });

    // A person: a user created by the admin signs in (code + PKCE), refreshes, and uses POST /auth.
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const userPassword = 'Correct-Horse-Battery-Staple-9';
    const user = await fetch(`${base}/admin/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        username: 'logscan',
        password: userPassword,
        name: 'Log Scan',
        email: 'log@example.com',
        roles: ['manager'],
        simple_login: true,
      }),
    });
    expect(user.status).toBe(201);
    const flow = await codeFlowTokens({ url: base } as TestApp, {
      clientId: 'demo-spa',
      scope: 'openid customers:read',
      username: 'logscan',
      password: userPassword,
      nonce: 'n-0S6_WzA2Mj',
    });
    expect(flow.status).toBe(200);
    const refreshed = (await (
      await fetch(`${base}/oauth/token`, {
        method: 'POST',
        headers: form,
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: flow.body.refresh_token,
          client_id: 'demo-spa',
        }),
      })
    ).json()) as Record<string, string>;
    expect(refreshed.access_token).toBeTruthy();
    const userBasic = (pw: string) => `Basic ${Buffer.from(`logscan:${pw}`).toString('base64')}`;
    const viaAuth = await fetch(`${base}/auth`, {
      method: 'POST',
      headers: { authorization: userBasic(userPassword) },
    });
    expect(viaAuth.status).toBe(200);
    await fetch(`${base}/auth`, {
      method: 'POST',
      headers: { authorization: userBasic('wrong-user-password-1') },
    });

    const logs = server.stdout() + server.stderr();
    expect(logs).toContain('request completed');
    // The demo banner prints the demo credentials once at first start, by design; none of the
    // values below is in it, and none may appear anywhere in the output.
    const secrets = [
      ADMIN_SECRET,
      admin,
      access,
      created.client_secret,
      created.api_key,
      'wrong-secret-value-123',
      'wrong-api-key-value-456',
      'posted-secret-789',
      userPassword,
      'wrong-user-password-1',
      flow.code,
      flow.verifier,
      flow.body.access_token,
      flow.body.refresh_token,
      flow.body.id_token,
      refreshed.access_token,
      refreshed.refresh_token,
      viaAuth.headers.get('authorization')!.replace(/^Bearer /, ''),
    ];
    for (const secret of secrets) {
      expect(secret, 'every flow above produced its value').toBeTruthy();
      expect(logs.includes(secret), `log contains ${secret.slice(0, 12)}…`).toBe(false);
    }
    expect(logs).not.toMatch(/authorization":"(Basic|Bearer) /i);
  });

  it('on SIGTERM it completes a request already in flight, then exits 0', async () => {
    const body = 'grant_type=client_credentials';
    const socket = connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    let response = '';
    socket.on('data', (d) => (response += d.toString()));
    const closed = new Promise((r) => socket.once('close', r));
    socket.write(
      `POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${basic(ADMIN_ID, ADMIN_SECRET)}\r\n` +
        `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n` +
        body.slice(0, 10),
    );
    await new Promise((r) => setTimeout(r, 200));
    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    // The server stopped accepting new connections…
    await expect(fetch(`${base}/health/live`)).rejects.toThrow();
    // …but the request that was in flight still gets its answer.
    socket.write(body.slice(10));
    await closed;
    expect(response).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(response).toContain('"access_token"');
    expect(await server.exited).toBe(0);
    expect(server.stdout()).toContain('SIGTERM received');
  }, 30_000);
});
