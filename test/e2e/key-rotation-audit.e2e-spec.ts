import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeysService } from '../../src/keys/keys.service';
import { startTestApp, type TestApp } from '../support/app';
import { ADMIN_ENV, adminToken, api } from '../support/oauth';

interface AuditRow {
  type: string;
  outcome: string;
  actor: string | null;
  client_id: string | null;
  jti: string | null;
  subject: string | null;
  details: Record<string, unknown>;
}

/** Every signing-key rotation is audited alike, whether an admin asks or the key's age does. */
describe('key rotation audit', () => {
  let app: TestApp;
  let admin: string;

  const rotations = async () =>
    (await api(app, '/admin/audit?type=key.rotated&limit=50', admin)).body.data as AuditRow[];
  const keys = async () =>
    (await api(app, '/admin/keys', admin)).body as {
      kid: string;
      alg: string;
      status: string;
      activate_at: string;
    }[];

  beforeAll(async () => {
    // Keys older than one second are replaced; the new one waits an hour before it signs, so the
    // admin token stays valid and exactly one automatic rotation starts.
    app = await startTestApp({ ...ADMIN_ENV, KEY_ROTATION_INTERVAL: '1', KEY_PUBLISH_LEAD: '3600' });
    admin = await adminToken(app);
  });
  afterAll(() => app?.stop());

  it('a rotation by age (KEY_ROTATION_INTERVAL) writes key.rotated with actor system', async () => {
    expect(await rotations()).toEqual([]);
    await sleep(1500); // the active key is now older than KEY_ROTATION_INTERVAL
    await app.app.get(KeysService).maintain(); // what the periodic maintenance runs
    const next = (await keys()).filter((k) => k.status === 'next');
    expect(next).toHaveLength(1);
    await app.app.get(KeysService).maintain(); // a started rotation is not started again
    expect(await rotations()).toEqual([
      expect.objectContaining({
        type: 'key.rotated',
        outcome: 'success',
        actor: 'system',
        client_id: null,
        jti: null,
        subject: next[0].kid,
        details: { alg: next[0].alg, activate_at: next[0].activate_at },
      }),
    ]);
  });

  it('an admin rotation writes the same event with the admin as actor', async () => {
    const rotated = await api(app, '/admin/keys/rotate', admin, { method: 'POST', body: {} });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    const [latest] = await rotations();
    expect(latest).toMatchObject({
      type: 'key.rotated',
      outcome: 'success',
      actor: 'test-admin',
      client_id: 'test-admin',
      jti: expect.any(String),
      subject: rotated.body.kid,
      details: { alg: rotated.body.alg, activate_at: rotated.body.activate_at },
    });
  });
});
