import { randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../config/env';
import { verifyAccessToken } from '@scopegate/nest/core';
import { JwsService } from './jws.service';
import { generateKeyPair } from './key-material';

const ISSUER = 'https://as.example';
const AUDIENCE = 'https://api.example';

function accessClaims(): JWTPayload {
  const iat = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER,
    sub: 'c1',
    aud: AUDIENCE,
    exp: iat + 300,
    iat,
    jti: randomUUID(),
    client_id: 'c1',
    scope: 'customers:read',
  };
}

const keyPairs = new Map<SigningAlgorithm, { privateKey: KeyObject; publicKey: KeyObject }>(
  SIGNING_ALGORITHMS.map((alg) => [alg, generateKeyPair(alg)]),
);

const resolverFor = (alg: SigningAlgorithm) => (kid: string) =>
  Promise.resolve(kid === `kid-${alg}` ? { kid, alg, publicKey: keyPairs.get(alg)!.publicKey } : undefined);

describe('JwsService.sign (RFC 7515 compact serialization, node:crypto)', () => {
  const jws = new JwsService();

  it.each(SIGNING_ALGORITHMS)('%s: jose verifies the signature and reads the header', async (alg) => {
    const { privateKey, publicKey } = keyPairs.get(alg)!;
    const claims = accessClaims();
    const token = jws.sign(claims, { kid: `kid-${alg}`, alg, privateKey }, 'at+jwt');
    expect(decodeProtectedHeader(token)).toEqual({ alg, typ: 'at+jwt', kid: `kid-${alg}` });
    const { payload, protectedHeader } = await jwtVerify(token, publicKey, {
      algorithms: [alg],
      typ: 'at+jwt',
    });
    expect(payload).toEqual(claims);
    expect(protectedHeader).toEqual({ alg, typ: 'at+jwt', kid: `kid-${alg}` });
    // ...and so does the resource server's verifier.
    const verified = await verifyAccessToken(token, resolverFor(alg), { issuer: ISSUER, audience: AUDIENCE });
    expect(verified).toMatchObject({ kid: `kid-${alg}`, claims: { jti: claims.jti } });
  });

  it.each(SIGNING_ALGORITHMS)('%s: a token signed by jose verifies with our verifier', async (alg) => {
    const token = await new SignJWT(accessClaims())
      .setProtectedHeader({ alg, typ: 'at+jwt', kid: `kid-${alg}` })
      .sign(keyPairs.get(alg)!.privateKey);
    const verified = await verifyAccessToken(token, resolverFor(alg), { issuer: ISSUER, audience: AUDIENCE });
    expect(verified.kid).toBe(`kid-${alg}`);
  });

  it('keeps the typ it is given (ID tokens are "JWT")', () => {
    const { privateKey } = keyPairs.get('ES256')!;
    const token = jws.sign({ sub: 'u' }, { kid: 'k', alg: 'ES256', privateKey }, 'JWT');
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', typ: 'JWT', kid: 'k' });
  });
});
