import { describe, expect, it } from 'vitest';
import { cookieValue, SessionCodec } from './session';

describe('SessionCodec', () => {
  const codec = new SessionCodec(SessionCodec.deriveKey('p'.repeat(32)));
  const now = 1_800_000_000;

  it('round-trips a signed session and refuses tampering, other keys and expiry', () => {
    const s = codec.fresh(60, now, { uid: 'u1', at: now });
    const v = codec.encode(s);
    expect(codec.decode(v, now)).toEqual(s);
    const [body, mac] = v.split('.');
    const forged = Buffer.from(JSON.stringify({ ...s, uid: 'u2' })).toString('base64url');
    expect(codec.decode(`${forged}.${mac}`, now)).toBeUndefined();
    expect(codec.decode(`${body}.${mac.slice(0, -2)}`, now)).toBeUndefined();
    expect(new SessionCodec(SessionCodec.deriveKey('q'.repeat(32))).decode(v, now)).toBeUndefined();
    expect(codec.decode(v, now + 61)).toBeUndefined();
    expect(codec.decode('garbage', now)).toBeUndefined();
  });

  it('binds the CSRF token to the session id', () => {
    const a = codec.fresh(60, now);
    const b = codec.fresh(60, now);
    expect(codec.checkCsrf(a, codec.csrfToken(a))).toBe(true);
    expect(codec.checkCsrf(a, codec.csrfToken(b))).toBe(false);
    expect(codec.checkCsrf(undefined, codec.csrfToken(a))).toBe(false);
    expect(codec.checkCsrf(a, undefined)).toBe(false);
  });

  it('reads one cookie from a header', () => {
    expect(cookieValue('a=1; sg_session=x.y; b=2', 'sg_session')).toBe('x.y');
    expect(cookieValue('a=1', 'sg_session')).toBeUndefined();
    expect(cookieValue(undefined, 'sg_session')).toBeUndefined();
  });
});
