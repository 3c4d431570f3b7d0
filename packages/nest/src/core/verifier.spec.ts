import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { eventually, FakeIssuer, json, sleep } from '../../test/fake-issuer';
import { InvalidTokenError, TemporarilyUnavailableError } from './errors';
import { createVerifier, type ScopegateVerifier, type VerifierOptions } from './verifier';

const AUDIENCE = 'https://orders.example';
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

describe('createVerifier (a resource server’s view of Scopegate)', () => {
  let issuer: FakeIssuer;
  let verifier: ScopegateVerifier;
  let feed: ServerResponse | undefined;
  let keys: unknown[];
  let active: boolean;
  const logger = { log: vi.fn(), warn: vi.fn(), error: vi.fn() };

  const token = (claims: Record<string, unknown> = {}, kid = 'k1') => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: issuer.url,
      aud: AUDIENCE,
      sub: 'c1',
      client_id: 'c1',
      scope: 'orders:read orders:pricing',
      jti: randomUUID(),
      iat: now,
      exp: now + 300,
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
      .sign(privateKey);
  };
  const start = async (options: Partial<VerifierOptions> = {}) => {
    verifier = createVerifier({ ...issuer.conn, audience: AUDIENCE, logger, ...options });
    verifier.start();
    expect(await verifier.whenReady(5000)).toBe(true);
  };
  const revoke = (jti: string) =>
    feed!.write(`event: revoked\ndata: ${JSON.stringify({ tokens: [{ jti, exp: 9e9 }] })}\n\n`);
  const refusal = async (t: string) =>
    verifier.verify(t).then(
      () => undefined,
      (e: unknown) => e,
    );

  beforeEach(async () => {
    issuer = await FakeIssuer.start();
    keys = [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' }];
    active = true;
    issuer.on('GET', '/jwks', (_req, res) => json(res, 200, { keys }));
    issuer.on('GET', '/resource-server/catalog', (_req, res) =>
      json(res, 200, { scope_categories: { 'orders:pricing': ['pricing'] }, categories: ['pricing'] }),
    );
    issuer.on('GET', '/resource-server/feed', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      feed = res;
      res.write('event: ready\nid: 1\ndata: {"heartbeat_ms":5000}\n\n');
    });
    issuer.on('POST', '/oauth/introspect', (_req, res) => json(res, 200, { active }));
  });
  afterEach(async () => {
    await verifier?.close();
    await issuer.stop();
  });

  it('verifies a token for its audience and maps it to a principal; filters by the live catalog', async () => {
    await start();
    const t = await token();
    const principal = await verifier.verify(t);
    expect(principal).toMatchObject({ sub: 'c1', clientId: 'c1', scopes: ['orders:read', 'orders:pricing'] });
    expect(principal.aud).toEqual([AUDIENCE]);
    expect([...verifier.categoriesGrantedBy(principal.scopes)]).toEqual(['pricing']);
    expect(issuer.count('POST', '/oauth/introspect')).toBe(0);
  });

  it('refuses another audience, another issuer, and a revoked token (also after caching it)', async () => {
    await start();
    const billing = await token({ aud: 'https://billing.example' });
    expect(await refusal(billing)).toBeInstanceOf(InvalidTokenError);
    // The same token, verified for the audience it names (a gateway's route), is accepted; the cache
    // does not carry that over to another audience.
    expect((await verifier.verify(billing, 'https://billing.example')).aud).toEqual([
      'https://billing.example',
    ]);
    expect(((await refusal(billing)) as InvalidTokenError).description).toBe(
      'The access token is not meant for this resource',
    );
    expect(await refusal(await token({ iss: 'https://evil.example' }))).toBeInstanceOf(InvalidTokenError);
    const t = await token({ jti: 'jti-revoked' });
    await verifier.verify(t);
    revoke('jti-revoked');
    await eventually(() => verifier.status().revoked === 1);
    expect(((await refusal(t)) as InvalidTokenError).description).toBe('The access token was revoked');
  });

  it('refuses a cached token once its key is withdrawn (the feed says the keys changed)', async () => {
    await start();
    const t = await token();
    await verifier.verify(t);
    keys = [];
    feed!.write('event: keys\ndata: {}\n\n');
    await eventually(() => issuer.count('GET', '/jwks') >= 2);
    await sleep(50);
    expect(((await refusal(t)) as InvalidTokenError).description).toContain('not signed by a key');
  });

  it('status() tells how many usage reports wait, went through or were dropped', async () => {
    issuer.on('POST', '/resource-server/usage', (_req, res) => json(res, 200, { status: 'recorded' }));
    await start({ usage: { flushIntervalMs: 20, maxQueued: 2 } });
    const event = {
      jti: randomUUID(),
      method: 'GET',
      path: '/orders/:id',
      status: 200,
      decision: 'allowed' as const,
      occurred_at: new Date().toISOString(),
    };
    for (let i = 0; i < 3; i++) verifier.reportUsage(event);
    expect(verifier.status().usage).toEqual({ pending: 2, delivered: 0, dropped: 1 });
    await eventually(() => verifier.status().usage.delivered === 2);
    expect(verifier.status().usage).toEqual({ pending: 0, delivered: 2, dropped: 1 });
  });

  it('answers 503 until the keys are loaded', async () => {
    verifier = createVerifier({ ...issuer.conn, issuer: 'http://127.0.0.1:9', audience: AUDIENCE, logger });
    verifier.start();
    expect(await refusal(await token())).toBeInstanceOf(TemporarilyUnavailableError);
  });

  it('fails closed while the feed is down: introspection per call, 503 when that cannot be asked', async () => {
    await start({ feedGraceMs: 100 });
    const t = await token();
    await verifier.verify(t);
    issuer.on('GET', '/resource-server/feed', (_req, res) => json(res, 503, {}));
    feed!.destroy();
    await sleep(200);
    expect(verifier.status().feed).toBe(false);
    await verifier.verify(t);
    expect(issuer.count('POST', '/oauth/introspect')).toBe(1);
    const introspected = issuer.requests.find((r) => r.path === '/oauth/introspect')!;
    expect(introspected.headers.authorization).toMatch(/^Basic /);
    expect(introspected.body).toContain('token=');
    active = false;
    expect(await refusal(t)).toBeInstanceOf(InvalidTokenError);
    issuer.on('POST', '/oauth/introspect', (_req, res) => json(res, 500, {}));
    const err = await refusal(t);
    expect(err).toBeInstanceOf(TemporarilyUnavailableError);
    expect((err as TemporarilyUnavailableError).headers['Retry-After']).toBe('2');
  });

  it('with failClosed: false keeps trusting the last known revocations instead', async () => {
    await start({ feedGraceMs: 100, failClosed: false });
    const t = await token();
    issuer.on('GET', '/resource-server/feed', (_req, res) => json(res, 503, {}));
    feed!.destroy();
    await sleep(200);
    await verifier.verify(t);
    expect(issuer.count('POST', '/oauth/introspect')).toBe(0);
  });
});
