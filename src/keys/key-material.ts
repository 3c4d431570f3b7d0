import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { SigningAlgorithm } from '../config/env';

/** Key generation per JWS algorithm (RFC 7518 §3, RFC 8037). */
export function generateKeyPair(alg: SigningAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (alg) {
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'ES384':
      return generateKeyPairSync('ec', { namedCurve: 'P-384' });
    case 'ES512':
      return generateKeyPairSync('ec', { namedCurve: 'P-521' });
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
    default:
      // RS*/PS*: 2048-bit RSA (RFC 7518 §3.3 minimum).
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
  }
}

export async function publicJwkOf(publicKey: KeyObject, alg: string): Promise<{ kid: string; jwk: JWK }> {
  const raw = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(raw, 'sha256');
  return { kid, jwk: { ...raw, kid, alg, use: 'sig' } };
}

export function privateKeyFromDer(der: Buffer): KeyObject {
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

export function publicKeyFromJwk(jwk: JWK): KeyObject {
  return createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
}
