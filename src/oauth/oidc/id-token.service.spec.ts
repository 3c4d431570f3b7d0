import { describe, expect, it } from 'vitest';
import { atHash } from './id-token.service';

describe('atHash (OIDC Core §3.1.3.6)', () => {
  // FIPS 180-2 B.1: SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223 b00361a3…; at_hash is the left half.
  it('is the base64url of the left half of SHA-256 for ES256/RS256', () => {
    expect(atHash('abc', 'RS256')).toBe('ungWv48Bz-pBQUDeXa4iIw');
    expect(atHash('abc', 'ES256')).toBe('ungWv48Bz-pBQUDeXa4iIw');
  });

  it('uses the hash size of the algorithm', () => {
    expect(atHash('x', 'ES256')).toHaveLength(22);
    expect(atHash('x', 'ES384')).toHaveLength(32);
    expect(atHash('x', 'PS512')).toHaveLength(43);
    expect(atHash('x', 'EdDSA')).toHaveLength(43);
  });
});
