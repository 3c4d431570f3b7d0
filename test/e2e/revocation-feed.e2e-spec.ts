import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app';
import { ADMIN_ENV, accessToken, adminToken, api, basic, seedDemo } from '../support/oauth';
import { SseClient } from '../support/sse';

describe('revocation feed for resource servers (Server-Sent Events)', () => {
  let app: TestApp;
  let admin: string;
  let rs: { client_id: string; client_secret: string };
  let worker: { client_id: string; client_secret: string };
  let feedToken: string;
  const streams: SseClient[] = [];

  beforeAll(async () => {
    app = await startTestApp(ADMIN_ENV);
    await seedDemo(app);
    admin = await adminToken(app);
    const client = async (body: Record<string, unknown>) =>
      (
        await api(app, '/admin/clients', admin, {
          method: 'POST',
          body: { client_name: 'c', grant_types: ['client_credentials'], ...body },
        })
      ).body as { client_id: string; client_secret: string };
    rs = await client({ role: 'resource-server' });
    worker = await client({ scope: 'customers:read' });
    feedToken = await accessToken(app, rs.client_id, rs.client_secret);
  });
  afterAll(async () => {
    streams.forEach((s) => s.close());
    await app?.stop();
  });

  const connect = async (headers: Record<string, string> = {}, token = feedToken) => {
    const s = await SseClient.connect(`${app.url}/resource-server/feed`, {
      authorization: `Bearer ${token}`,
      ...headers,
    });
    streams.push(s);
    return s;
  };
  const workerToken = () => accessToken(app, worker.client_id, worker.client_secret);
  const revoke = (token: string) =>
    fetch(`${app.url}/oauth/revoke`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basic(worker.client_id, worker.client_secret),
      },
      body: new URLSearchParams({ token }),
    });

  it('is only for clients with scope scopegate:resource-server (RFC 6750 errors otherwise)', async () => {
    const none = await SseClient.connect(`${app.url}/resource-server/feed`, {});
    expect(none.status).toBe(401);
    const wrong = await connect({}, await workerToken());
    expect(wrong.status).toBe(403);
    expect(wrong.headers!.get('www-authenticate')).toContain('scope="scopegate:resource-server"');
  });

  it('starts with a snapshot of revoked, unexpired tokens, then streams each revocation at once', async () => {
    const before = await workerToken();
    await revoke(before);
    const live = await workerToken();

    const feed = await connect();
    expect(feed.status).toBe(200);
    expect(feed.headers!.get('content-type')).toContain('text/event-stream');
    const ready = await feed.next((e) => e.event === 'ready');
    expect(JSON.parse(ready.data)).toMatchObject({ resumed: false });
    expect(ready.id).toMatch(/^\d+$/);
    expect(feed.revokedJtis()).toContain(decodeJwt(before).jti);

    const from = feed.events.length;
    const started = Date.now();
    await revoke(live);
    const event = await feed.next((e) => e.event === 'revoked', { from, timeoutMs: 1000 });
    const elapsed = Date.now() - started;
    expect(JSON.parse(event.data).tokens).toEqual([{ jti: decodeJwt(live).jti, exp: decodeJwt(live).exp }]);
    expect(event.id).toMatch(/^\d+$/);
    console.log(`revocation reached the feed in ${elapsed} ms`);
  });

  it('resumes with Last-Event-ID: the revocations missed while away, without the full snapshot', async () => {
    const feed = await connect();
    await feed.next((e) => e.event === 'ready');
    const lastId = [...feed.events].reverse().find((e) => e.id)!.id!;
    feed.close();

    const missed = await workerToken();
    await revoke(missed);
    const resumed = await connect({ 'last-event-id': lastId });
    const ready = await resumed.next((e) => e.event === 'ready');
    expect(JSON.parse(ready.data)).toMatchObject({ resumed: true });
    expect(resumed.revokedJtis()).toContain(decodeJwt(missed).jti);

    // A cursor we did not issue means a full snapshot.
    const garbage = await connect({ 'last-event-id': 'x; DROP TABLE tokens' });
    expect(JSON.parse((await garbage.next((e) => e.event === 'ready')).data)).toMatchObject({
      resumed: false,
    });
  });

  it('announces key and catalog changes, and sends heartbeats', async () => {
    const feed = await connect();
    await feed.next((e) => e.event === 'ready');
    const from = feed.events.length;
    expect((await api(app, '/admin/keys/rotate', admin, { method: 'POST' })).status).toBeLessThan(300);
    await feed.next((e) => e.event === 'keys', { from });
    expect(
      (await api(app, '/admin/scopes', admin, { method: 'POST', body: { name: 'feed:test' } })).status,
    ).toBe(201);
    await feed.next((e) => e.event === 'catalog', { from });
    const beat = await feed.next((e) => e.event === 'heartbeat', { from, timeoutMs: 7000 });
    expect(JSON.parse(beat.data).time).toBeTypeOf('number');
  });

  it('ends open streams when the instance shuts down, so shutdown does not wait for them', async () => {
    const feed = await connect();
    await feed.next((e) => e.event === 'ready');
    const started = Date.now();
    await app.stop();
    const took = Date.now() - started;
    app = undefined as unknown as TestApp; // stopped here; afterAll skips it
    for (let i = 0; i < 50 && !feed.ended; i++) await new Promise((r) => setTimeout(r, 20));
    expect(feed.ended).toBe(true);
    expect(took).toBeLessThan(5000); // the shutdown timeout is 10 s: an open stream used to hold it that long
  });
});
