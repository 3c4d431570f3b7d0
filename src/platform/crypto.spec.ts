import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeKey, decrypt, encrypt, keyedHash, randomSecret, safeEqual } from './crypto';

describe('crypto helpers', () => {
  it('randomSecret is 256-bit base64url', () => {
    const s = randomSecret();
    expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(s, 'base64url')).toHaveLength(32);
    expect(randomSecret()).not.toBe(s);
  });

  it('keyedHash depends on key and value', () => {
    expect(keyedHash('k1', 'v')).toEqual(keyedHash('k1', 'v'));
    expect(keyedHash('k1', 'v')).not.toEqual(keyedHash('k2', 'v'));
    expect(keyedHash('k1', 'v')).not.toEqual(keyedHash('k1', 'w'));
  });

  it.each([
    ['equal', Buffer.from('abc'), Buffer.from('abc'), true],
    ['different', Buffer.from('abc'), Buffer.from('abd'), false],
    ['different length', Buffer.from('abc'), Buffer.from('abcd'), false],
    ['empty vs non-empty', Buffer.alloc(0), Buffer.from('a'), false],
  ])('safeEqual: %s', (_n, a, b, expected) => {
    expect(safeEqual(a, b)).toBe(expected);
  });

  it('encrypt/decrypt round-trips and authenticates ciphertext and AAD', () => {
    const key = randomBytes(32);
    const sealed = encrypt(key, Buffer.from('private key'), 'kid-1');
    expect(decrypt(key, sealed, 'kid-1').toString()).toBe('private key');
    expect(() => decrypt(key, sealed, 'kid-2')).toThrow();
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] ^= 1;
    expect(() => decrypt(key, tampered, 'kid-1')).toThrow();
    expect(() => decrypt(randomBytes(32), sealed, 'kid-1')).toThrow();
  });

  it('decodeKey accepts base64 and base64url of 32 bytes only', () => {
    const raw = randomBytes(32);
    expect(decodeKey(raw.toString('base64url'))).toEqual(raw);
    expect(decodeKey(raw.toString('base64'))).toEqual(raw);
    expect(() => decodeKey(randomBytes(16).toString('base64url'))).toThrow();
  });
});
