import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeIssuer, json } from '../../test/fake-issuer';
import { TemporarilyUnavailableError } from './errors';
import { IssuerClient } from './issuer-client';
import { RemoteKeySet } from './jwks';

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });

describe('RemoteKeySet (the issuer’s JWKS, cached)', () => {
  let issuer: FakeIssuer;
  let keys: unknown[];

  beforeEach(async () => {
    issuer = await FakeIssuer.start();
    keys = [{ ...ec, kid: 'k1', alg: 'ES256', use: 'sig' }];
    issuer.on('GET', '/jwks', (_req, res) => json(res, 200, { keys }));
  });
  afterEach(() => issuer.stop());

  it('resolves known kids without fetching again, with the exact alg of the key', async () => {
    const set = new RemoteKeySet(new IssuerClient(issuer.conn));
    await set.refresh();
    expect(await set.resolve('k1')).toMatchObject({ kid: 'k1', alg: 'ES256' });
    expect((await set.resolve('k1'))!.publicKey.asymmetricKeyType).toBe('ec');
    expect(issuer.count('GET', '/jwks')).toBe(1);
  });

  it('refetches for an unknown kid at most once per interval, however many are asked for', async () => {
    const set = new RemoteKeySet(new IssuerClient(issuer.conn), 60_000);
    await set.refresh();
    keys.push({ ...ec, kid: 'k2', alg: 'ES256' });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => set.resolve(`made-up-${i}`)));
    expect(results.every((r) => r === undefined)).toBe(true);
    expect(await set.resolve('k2')).toBeUndefined(); // inside the interval: not fetched again
    expect(issuer.count('GET', '/jwks')).toBe(1);
    const eager = new RemoteKeySet(new IssuerClient(issuer.conn), 0);
    await eager.refresh();
    await Promise.all([eager.resolve('x'), eager.resolve('y'), eager.resolve('z')]);
    expect(issuer.count('GET', '/jwks')).toBe(3); // concurrent lookups share one fetch
  });

  it('skips keys without an alg, with a symmetric or unknown alg, or not for signing', async () => {
    keys = [
      { ...ec, kid: 'no-alg' },
      { kty: 'oct', k: 'c2VjcmV0', kid: 'hs', alg: 'HS256' },
      { ...ec, kid: 'none', alg: 'none' },
      { ...ec, kid: 'enc', alg: 'ES256', use: 'enc' },
      { ...ec, kid: 'broken', alg: 'ES256', x: 'AAAA' },
      'junk',
      { ...rsa, kid: 'rs', alg: 'RS256' },
    ];
    const set = new RemoteKeySet(new IssuerClient(issuer.conn), 60_000);
    await set.refresh();
    for (const kid of ['no-alg', 'hs', 'none', 'enc', 'broken']) expect(set.has(kid), kid).toBe(false);
    expect(set.has('rs')).toBe(true);
  });

  it('an unknown kid while the issuer is away is 503, not a verdict on the token', async () => {
    const set = new RemoteKeySet(new IssuerClient(issuer.conn), 0);
    await set.refresh();
    await issuer.stop();
    await expect(set.resolve('new-kid')).rejects.toBeInstanceOf(TemporarilyUnavailableError);
    expect(await set.resolve('k1')).toBeDefined(); // known keys keep working
    issuer = await FakeIssuer.start(); // for afterEach
  });
});
