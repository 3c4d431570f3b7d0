import { Injectable } from '@nestjs/common';
import { constants, sign, type SignKeyObjectInput } from 'node:crypto';
import type { JWTPayload } from 'jose';
import type { SigningAlgorithm } from '../config/env';
import type { SigningKey } from './keys.service';

type SignOptions = Omit<SignKeyObjectInput, 'key'>;

/** How node:crypto computes each JWS algorithm: digest and key options (RFC 7518 §3, RFC 8037 §3.1). */
function signerOf(alg: SigningAlgorithm): { digest: string | null; options: SignOptions } {
  // RFC 8037 §3.1: Ed25519 hashes internally; node:crypto takes no digest for it.
  if (alg === 'EdDSA') return { digest: null, options: {} };
  const digest = `sha${alg.slice(2)}`;
  switch (alg.slice(0, 2)) {
    case 'ES':
      // RFC 7518 §3.4: R ‖ S, each the curve size, not DER.
      return { digest, options: { dsaEncoding: 'ieee-p1363' } };
    case 'PS':
      // RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash output.
      return {
        digest,
        options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
      };
    default:
      // RFC 7518 §3.3: RSASSA-PKCS1-v1_5, node's default RSA padding.
      return { digest, options: {} };
  }
}

const b64u = (value: object) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/**
 * The one JWS signer: compact serialization (RFC 7515 §7.1) with the key's own algorithm, signed by
 * node:crypto on the KeyObjects KeysService holds.
 */
@Injectable()
export class JwsService {
  sign(payload: JWTPayload, key: SigningKey, typ: string): string {
    const { digest, options } = signerOf(key.alg);
    const input = `${b64u({ alg: key.alg, typ, kid: key.kid })}.${b64u(payload)}`;
    const signature = sign(digest, Buffer.from(input, 'ascii'), { key: key.privateKey, ...options });
    return `${input}.${signature.toString('base64url')}`;
  }
}
