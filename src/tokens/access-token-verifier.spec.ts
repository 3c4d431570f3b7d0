import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { JwsService } from '../keys/jws.service';
import type { KeysService, SigningKey, VerificationKey } from '../keys/keys.service';
import { InvalidTokenError } from '../protocol/errors';
import type { RevocationService } from './revocation.service';
import { AccessTokenVerifier } from './access-token-verifier';

const ISSUER = 'https://as.example';
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signing: SigningKey = { kid: 'k1', alg: 'ES256', privateKey };
const verification = { kid: 'k1', alg: 'ES256', publicKey } as VerificationKey;
const jws = new JwsService();

function token(changes: JWTPayload = {}): string {
  const iat = Math.floor(Date.now() / 1000);
  const claims = {
    iss: ISSUER,
    sub: 'c1',
    aud: ISSUER,
    exp: iat + 300,
    iat,
    jti: randomUUID(),
    client_id: 'c1',
    scope: 'customers:read',
    ...changes,
  };
  return jws.sign(claims, signing, 'at+jwt');
}

describe('AccessTokenVerifier', () => {
  let keys: { verificationKeyOrReload: ReturnType<typeof vi.fn> };
  let revoked: Set<string>;
  let verifier: AccessTokenVerifier;

  beforeEach(() => {
    keys = {
      verificationKeyOrReload: vi.fn((kid: string) =>
        Promise.resolve(kid === 'k1' ? verification : undefined),
      ),
    };
    revoked = new Set();
    const revocations = { isRevoked: (jti: string) => Promise.resolve(revoked.has(jti)) };
    const config = {
      get: (k: string) => (k === 'ISSUER' || k === 'ACCESS_TOKEN_AUDIENCE' ? ISSUER : undefined),
    };
    verifier = new AccessTokenVerifier(
      keys as unknown as KeysService,
      revocations as unknown as RevocationService,
      config as never,
    );
  });

  it('authenticates a token it signed into a principal, looking the key up by kid', async () => {
    const jti = randomUUID();
    const principal = await verifier.authenticate(token({ jti }));
    expect(principal).toMatchObject({ jti, sub: 'c1', clientId: 'c1', kid: 'k1' });
    expect([...principal.scopes]).toEqual(['customers:read']);
    expect(keys.verificationKeyOrReload).toHaveBeenCalledWith('k1');
  });

  it('refuses a revoked token', async () => {
    const jti = randomUUID();
    revoked.add(jti);
    await expect(verifier.verify(token({ jti }))).rejects.toMatchObject({
      description: 'The access token was revoked',
    });
  });

  it('refuses a jti that is not one of ours (a UUID)', async () => {
    await expect(verifier.verify(token({ jti: 'not-a-uuid' }))).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('allowExpired (revocation): an expired or already revoked token of ours still identifies its record', async () => {
    const jti = randomUUID();
    revoked.add(jti);
    const expired = token({ jti, iat: 1_000, exp: 1_300 });
    expect(await verifier.identify(expired)).toBeUndefined();
    expect((await verifier.identify(expired, { allowExpired: true }))?.claims.jti).toBe(jti);
  });

  it('identify answers undefined for anything else, never why', async () => {
    for (const t of ['garbage', token({ aud: 'other' }), `${token().slice(0, -4)}AAAA`])
      expect(await verifier.identify(t)).toBeUndefined();
  });

  it('a revocation store failure refuses the token instead of letting it through', async () => {
    const failing = new AccessTokenVerifier(
      keys as unknown as KeysService,
      { isRevoked: () => Promise.reject(new Error('db down')) } as unknown as RevocationService,
      { get: () => ISSUER } as never,
    );
    await expect(failing.authenticate(token())).rejects.toMatchObject({
      description: 'The access token is invalid',
      detail: 'Error: db down',
    });
  });

  it('a database that cannot be reached during the revocation check is neither acceptance nor invalid_token (503)', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const failing = new AccessTokenVerifier(
      keys as unknown as KeysService,
      { isRevoked: () => Promise.reject(refused) } as unknown as RevocationService,
      { get: () => ISSUER } as never,
    );
    const t = token();
    await expect(failing.authenticate(t)).rejects.toBe(refused);
    expect(await failing.identify(t).catch((e: unknown) => e)).toBe(refused);
  });

  describe('verified-token cache (a token presented again skips the signature check)', () => {
    it('verifies a token once, then re-checks only its key and revocation on each use', async () => {
      const t = token();
      await verifier.authenticate(t);
      // Another public key under the same kid: a signature check would now fail; a cache hit does not
      // check the signature again, only that kid k1 is still published.
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
      keys.verificationKeyOrReload.mockResolvedValue({ ...verification, publicKey: other });
      await expect(verifier.authenticate(t)).resolves.toMatchObject({ kid: 'k1' });
      expect(await verifier.identify(t)).toBeDefined();
      await expect(verifier.authenticate(token())).rejects.toMatchObject({
        description: 'The access token signature is invalid',
      });
    });

    it('a cached token whose key is unpublished since is refused', async () => {
      const t = token();
      await verifier.authenticate(t);
      keys.verificationKeyOrReload.mockResolvedValueOnce(undefined);
      await expect(verifier.authenticate(t)).rejects.toMatchObject({
        description: 'The token was not signed by a key of this server',
      });
    });

    it('a cached token revoked since is refused, and forgotten', async () => {
      const t = token();
      const { jti } = await verifier.authenticate(t);
      revoked.add(jti);
      await expect(verifier.authenticate(t)).rejects.toMatchObject({
        description: 'The access token was revoked',
      });
      expect(await verifier.identify(t)).toBeUndefined();
      revoked.delete(jti); // the entry is gone: the token is verified in full again, and accepted
      await expect(verifier.authenticate(t)).resolves.toMatchObject({ jti });
    });

    it('does not serve a token past its expiry from the cache', async () => {
      vi.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
      try {
        const t = token({ exp: Math.floor(Date.now() / 1000) + 60 });
        await verifier.authenticate(t);
        vi.setSystemTime(Date.now() + 120_000);
        await expect(verifier.authenticate(t)).rejects.toMatchObject({
          description: 'The access token expired',
        });
      } finally {
        vi.useRealTimers();
      }
    });
  });
});
