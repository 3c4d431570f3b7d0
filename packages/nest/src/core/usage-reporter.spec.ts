import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { eventually, FakeIssuer, json } from '../../test/fake-issuer';
import { IssuerClient } from './issuer-client';
import { UsageReporter, type UsageEvent } from './usage-reporter';

const logger = { log: vi.fn(), warn: vi.fn(), error: vi.fn() };
const event = (i: number): UsageEvent => ({
  jti: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  method: 'GET',
  path: '/orders/:id',
  status: 200,
  decision: 'allowed',
  occurred_at: new Date(0).toISOString(),
});

describe('UsageReporter (batched, retried, idempotent)', () => {
  let issuer: FakeIssuer;
  let reporter: UsageReporter;
  const batches = () =>
    issuer.requests
      .filter((r) => r.path === '/resource-server/usage')
      .map((r) => JSON.parse(r.body) as { batch_id: string; events: UsageEvent[] });

  beforeEach(async () => {
    issuer = await FakeIssuer.start();
  });
  afterEach(async () => {
    await reporter?.close(100);
    await issuer.stop();
  });

  it('retries a failed batch with the same batch_id, so the server can count it once', async () => {
    let failures = 2;
    issuer.on('POST', '/resource-server/usage', (_req, res) =>
      failures-- > 0
        ? json(res, 503, { error: 'temporarily_unavailable' })
        : json(res, 200, { status: 'recorded' }),
    );
    reporter = new UsageReporter(new IssuerClient(issuer.conn), logger, { flushIntervalMs: 20 });
    reporter.start();
    for (let i = 0; i < 3; i++) reporter.report(event(i));
    await eventually(() => reporter.delivered === 3, 8000);
    const sent = batches();
    expect(sent).toHaveLength(3);
    expect(new Set(sent.map((b) => b.batch_id)).size).toBe(1);
    expect(sent[2].events.map((e) => e.jti)).toEqual([0, 1, 2].map((i) => event(i).jti));
    expect(issuer.requests.find((r) => r.path === '/resource-server/usage')!.headers.authorization).toMatch(
      /^Bearer rs-token-/,
    );
    expect(logger.warn).toHaveBeenCalledTimes(1); // one line for the outage, not one per attempt
  });

  it('splits into batches of batchSize and sends them in order', async () => {
    issuer.on('POST', '/resource-server/usage', (_req, res) => json(res, 200, { status: 'recorded' }));
    reporter = new UsageReporter(new IssuerClient(issuer.conn), logger, {
      flushIntervalMs: 20,
      batchSize: 2,
    });
    reporter.start();
    for (let i = 0; i < 5; i++) reporter.report(event(i));
    await eventually(() => reporter.delivered === 5);
    expect(batches().map((b) => b.events.length)).toEqual([2, 2, 1]);
    expect(batches().flatMap((b) => b.events.map((e) => e.jti))).toEqual(
      [0, 1, 2, 3, 4].map((i) => event(i).jti),
    );
  });

  it('drops a batch the server refuses as invalid (400) instead of retrying it forever', async () => {
    issuer.on('POST', '/resource-server/usage', (_req, res) => json(res, 400, { message: 'bad' }));
    reporter = new UsageReporter(new IssuerClient(issuer.conn), logger, { flushIntervalMs: 20 });
    reporter.start();
    reporter.report(event(1));
    await eventually(() => reporter.dropped === 1);
    expect(reporter.pending).toBe(0);
    expect(logger.error).toHaveBeenCalledWith(expect.stringContaining('refused and dropped'));
  });

  it('keeps a bounded queue while the server is away, counting what it drops', async () => {
    issuer.on('POST', '/resource-server/usage', (_req, res) => json(res, 503, {}));
    reporter = new UsageReporter(new IssuerClient(issuer.conn), logger, {
      flushIntervalMs: 60_000,
      maxQueued: 10,
    });
    for (let i = 0; i < 25; i++) reporter.report(event(i));
    expect(reporter.pending).toBe(10);
    expect(reporter.dropped).toBe(15);
  });
});
