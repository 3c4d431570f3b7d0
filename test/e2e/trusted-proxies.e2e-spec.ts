import { afterAll, describe, expect, it } from 'vitest';
import { AuditService } from '../../src/audit/audit.service';
import { startTestApp, type TestApp } from '../support/app';
import { ADMIN_ENV, ADMIN_ID, ADMIN_SECRET, adminToken, api, tokenRequest } from '../support/oauth';

/** The client IP of the audit: X-Forwarded-For counts only when the connecting peer is a listed proxy. */
describe('TRUST_PROXY: a list of trusted proxies', () => {
  const apps: TestApp[] = [];
  afterAll(() => Promise.all(apps.map((a) => a.stop())));

  async function auditedIp(trustProxy: string, requestId: string): Promise<string> {
    const app = await startTestApp({ ...ADMIN_ENV, TRUST_PROXY: trustProxy });
    apps.push(app);
    const res = await tokenRequest(
      app,
      { grant_type: 'client_credentials' },
      {
        id: ADMIN_ID,
        secret: ADMIN_SECRET,
        headers: { 'x-request-id': requestId, 'x-forwarded-for': '203.0.113.7' },
      },
    );
    expect(res.status).toBe(200);
    await app.app.get(AuditService).flush();
    const events = await api(
      app,
      `/admin/audit?request_id=${requestId}&type=token.issued`,
      await adminToken(app),
    );
    expect(events.body.data).toHaveLength(1);
    return events.body.data[0].ip as string;
  }

  it('ignores X-Forwarded-For from a peer that is not a listed proxy (the socket address is audited)', async () => {
    expect(await auditedIp('10.0.0.0/8, 192.168.1.1', 'xff-untrusted')).toBe('127.0.0.1');
  });

  it('uses X-Forwarded-For from a listed proxy', async () => {
    expect(await auditedIp('127.0.0.1/32', 'xff-trusted')).toBe('203.0.113.7');
  });
});
