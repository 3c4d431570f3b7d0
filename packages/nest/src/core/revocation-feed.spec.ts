import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { eventually, FakeIssuer, sleep } from '../../test/fake-issuer';
import { IssuerClient } from './issuer-client';
import type { ScopegateLogger } from './logger';
import { RevocationFeed } from './revocation-feed';

const logger: ScopegateLogger = { log: vi.fn(), warn: vi.fn(), error: vi.fn() };

describe('RevocationFeed (the Server-Sent Events client)', () => {
  let issuer: FakeIssuer;
  let feed: RevocationFeed;
  let streams: ServerResponse[];
  let onConnect: (res: ServerResponse, lastEventId?: string) => void;
  const handlers = { onKeys: vi.fn(), onCatalog: vi.fn(), onReady: vi.fn() };

  beforeEach(async () => {
    issuer = await FakeIssuer.start();
    streams = [];
    issuer.on('GET', '/resource-server/feed', (req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      streams.push(res);
      onConnect(res, req.headers['last-event-id'] as string | undefined);
    });
    vi.clearAllMocks();
  });
  afterEach(async () => {
    await feed?.stop();
    await issuer.stop();
  });

  const send = (res: ServerResponse, event: string, data: unknown, id?: number) =>
    res.write(`event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`);
  const start = (stallTimeoutMs?: number) => {
    feed = new RevocationFeed(new IssuerClient(issuer.conn), handlers, logger, { stallTimeoutMs });
    feed.start();
  };

  it('takes the snapshot, then live revocations; is live only after ready', async () => {
    onConnect = (res) => {
      send(res, 'revoked', { tokens: [{ jti: 'a', exp: 9e9 }] });
      send(res, 'ready', { heartbeat_ms: 5000 }, 1000);
    };
    start();
    await eventually(() => feed.isLive());
    expect(feed.isRevoked('a')).toBe(true);
    expect(feed.downForMs()).toBe(0);
    expect(handlers.onReady).toHaveBeenCalledTimes(1);
    send(streams[0], 'revoked', { tokens: [{ jti: 'b', exp: 9e9 }] }, 1001);
    await eventually(() => feed.isRevoked('b'));
    send(streams[0], 'keys', {});
    send(streams[0], 'catalog', {});
    await eventually(() => handlers.onCatalog.mock.calls.length === 1);
    expect(handlers.onKeys).toHaveBeenCalledTimes(1);
    // It authenticated with its own client-credentials token.
    expect(issuer.requests.find((r) => r.path === '/resource-server/feed')!.headers.authorization).toBe(
      'Bearer rs-token-1',
    );
  });

  it('ignores malformed and hostile events without losing the good ones', async () => {
    onConnect = (res) => {
      res.write('event: revoked\ndata: {not json\n\n');
      send(res, 'revoked', { tokens: 'nope' });
      send(res, 'revoked', {
        tokens: [null, 7, { jti: 5 }, { jti: '' }, { jti: 'x'.repeat(500) }, { jti: 'good', exp: 'soon' }],
      });
      send(res, 'something-new', { a: 1 });
      res.write(': a comment line\n\n');
      send(res, 'ready', { heartbeat_ms: 'fast' }, 1);
    };
    start();
    await eventually(() => feed.isLive());
    expect(feed.isRevoked('good')).toBe(true); // a bad exp is kept until pruned by age: never forgotten early
    expect(feed.size).toBe(1);
  });

  it('resumes with Last-Event-ID after the stream ends, at once when it had worked', async () => {
    const seen: (string | undefined)[] = [];
    onConnect = (res, lastEventId) => {
      seen.push(lastEventId);
      if (seen.length === 1) {
        send(res, 'ready', {}, 4242);
        setTimeout(() => res.end(), 20);
      } else send(res, 'ready', {}, 4300);
    };
    start();
    await eventually(() => seen.length === 2);
    expect(seen).toEqual([undefined, '4242']);
    await eventually(() => feed.isLive());
  });

  it('treats a silent stream as stalled: not live, down since the last event, replaced', async () => {
    onConnect = (res) => {
      if (streams.length === 1)
        send(res, 'ready', {}, 1); // then nothing, not even heartbeats
      else send(res, 'ready', {}, 2);
    };
    start(300);
    await eventually(() => feed.isLive());
    await sleep(350);
    expect(feed.isLive()).toBe(false);
    expect(feed.downForMs()).toBeGreaterThanOrEqual(300);
    await eventually(() => streams.length === 2, 2000);
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('went silent'));
    await eventually(() => feed.isLive());
  });

  it('after a stall, counts the outage from the last event heard (no fresh grace period)', async () => {
    onConnect = (res) => {
      if (streams.length === 1) send(res, 'ready', {}, 1);
      else res.destroy(); // the replacement fails: the feed stays down
    };
    start(300);
    await eventually(() => feed.isLive());
    await eventually(() => streams.length >= 2, 2000);
    await sleep(20);
    expect(feed.isLive()).toBe(false);
    expect(feed.downForMs()).toBeGreaterThanOrEqual(300);
  });

  it('stop() while the token is being fetched opens no stream afterwards', async () => {
    let release!: () => void;
    issuer.on('POST', '/oauth/token', (_req, res) => {
      release = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_token":"t"}');
    });
    onConnect = () => undefined;
    start();
    await eventually(() => issuer.count('POST', '/oauth/token') === 1);
    const stopped = feed.stop();
    release();
    await stopped;
    await sleep(50);
    expect(issuer.count('GET', '/resource-server/feed')).toBe(0);
  });

  it('drops a connection that sends one enormous event, and is not live meanwhile', async () => {
    onConnect = (res) => {
      if (streams.length === 1) res.write(`data: ${'x'.repeat(5 << 20)}`);
      else send(res, 'ready', {}, 3);
    };
    start();
    await eventually(() => streams.length === 2, 5000);
    expect(streams[0].destroyed || streams[0].writableEnded || streams[0].closed).toBe(true);
  });

  it('renews its token when the feed refuses it (401), backing off between failures', async () => {
    let refusals = 2;
    issuer.on('GET', '/resource-server/feed', (_req, res) => {
      if (refusals-- > 0) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      send(res, 'ready', {}, 9);
      streams.push(res);
    });
    start();
    await eventually(() => feed.isLive(), 5000);
    expect(issuer.count('POST', '/oauth/token')).toBe(3);
    expect(feed.downForMs()).toBe(0);
  });

  it('is down (infinitely) before it ever connected', () => {
    onConnect = () => undefined;
    feed = new RevocationFeed(new IssuerClient(issuer.conn), handlers, logger);
    expect(feed.isLive()).toBe(false);
    expect(feed.downForMs()).toBe(Infinity);
  });
});
