import { decodeJwt } from 'jose';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app';
import { ADMIN_ENV, accessToken, api, seedDemo } from '../support/oauth';

/**
 * An instance learns of other instances' revocations through its LISTEN connection. If that
 * connection's backend freezes (here: SIGSTOP), the socket stays open and nothing arrives: the instance
 * must notice within seconds and stop trusting its in-memory revocation set, not wait for the periodic
 * reload. Needs a PostgreSQL server whose backends this process may signal (CI runs as root).
 */
const canSignal = Boolean(process.env.TEST_DATABASE_URL) && process.getuid?.() === 0;

describe.skipIf(!canSignal)('a frozen notification listener is detected', () => {
  let app: TestApp;
  let sql: Client;
  let frozen: number | undefined;

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    sql = new Client({ connectionString: app.db.url });
    await sql.connect();
  });
  afterAll(async () => {
    if (frozen) process.kill(frozen, 'SIGCONT');
    await sql?.end();
    await app?.stop();
  });

  it('refuses a token revoked elsewhere within a few seconds of the listener freezing', async () => {
    const clients = await seedDemo(app);
    const token = await accessToken(app, clients.viewer.client_id, clients.viewer.client_secret);
    expect((await api(app, '/customers?limit=1', token)).status).toBe(200);

    const { rows } = await sql.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
      [`scopegate-listener-${process.pid}`],
    );
    expect(rows).toHaveLength(1);
    frozen = rows[0].pid;
    process.kill(frozen, 'SIGSTOP');

    // Another instance revokes it: the trigger's notification cannot reach the frozen listener.
    await sql.query(`UPDATE tokens SET revoked_at = now(), revoked_reason = 'test' WHERE jti = $1`, [
      decodeJwt(token).jti,
    ]);
    const started = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - started < 10_000) {
      status = (await api(app, '/customers?limit=1', token)).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 100));
    }
    const elapsed = Date.now() - started;
    console.log(`revoked token refused ${elapsed} ms after the listener froze`);
    expect(status).toBe(401);
    expect(elapsed).toBeLessThan(5000);
  });
});
