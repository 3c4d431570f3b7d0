import { createHmac, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { CompactSign, SignJWT, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  REFUSAL,
  principalOf,
  verifyAccessToken,
  type AccessTokenKey,
  type AccessTokenPolicy,
  type Refusal,
} from './access-token';
import { MAX_TOKEN_LENGTH } from './bearer-token';
import { InvalidTokenError } from './errors';

const NOW = new Date('2030-01-01T00:00:00Z');
const now = NOW.getTime() / 1000;
const ISSUER = 'https://as.example';
const AUDIENCE = 'https://api.example';
const policy: AccessTokenPolicy = { issuer: ISSUER, audience: AUDIENCE, currentDate: NOW };

const b64u = (v: string | object) =>
  Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

let es256: { privateKey: KeyObject; publicKey: KeyObject };
let ed25519: { privateKey: KeyObject; publicKey: KeyObject };
let foreign: KeyObject;
let es384: KeyObject;
let keys: Map<string, AccessTokenKey>;
const resolve = (kid: string) => Promise.resolve(keys.get(kid));

beforeAll(() => {
  es256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  ed25519 = generateKeyPairSync('ed25519');
  foreign = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  es384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
  keys = new Map([
    ['es', { kid: 'es', alg: 'ES256', publicKey: es256.publicKey }],
    ['ed', { kid: 'ed', alg: 'EdDSA', publicKey: ed25519.publicKey }],
  ]);
});

function claims(changes: JWTPayload = {}, drop: string[] = []): JWTPayload {
  const c: JWTPayload = {
    iss: ISSUER,
    sub: 'client-1',
    aud: AUDIENCE,
    exp: now + 300,
    iat: now,
    jti: randomUUID(),
    client_id: 'client-1',
    scope: 'customers:read openid',
    ...changes,
  };
  for (const k of drop) delete c[k];
  return c;
}

const HEADER: JWTHeaderParameters = { alg: 'ES256', typ: 'at+jwt', kid: 'es' };

function sign(
  payload: JWTPayload = claims(),
  header: JWTHeaderParameters = HEADER,
  key: KeyObject = es256.privateKey,
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader(header).sign(key, { crit: { 'x-test': true } });
}

function signRaw(payload: string, header: JWTHeaderParameters = HEADER): Promise<string> {
  return new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader(header).sign(es256.privateKey);
}

async function refusal(token: string, extra: Partial<AccessTokenPolicy> = {}): Promise<InvalidTokenError> {
  const err = await verifyAccessToken(token, resolve, { ...policy, ...extra }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidTokenError);
  return err as InvalidTokenError;
}

describe('verifyAccessToken accepts (RFC 9068 §4)', () => {
  it.each<[string, () => Promise<string>]>([
    ['a jose-signed ES256 token', () => sign()],
    ['an EdDSA token', () => sign(claims(), { alg: 'EdDSA', typ: 'at+jwt', kid: 'ed' }, ed25519.privateKey)],
    ['typ "application/at+jwt"', () => sign(claims(), { ...HEADER, typ: 'application/at+jwt' })],
    ['typ in upper case', () => sign(claims(), { ...HEADER, typ: 'AT+JWT' })],
    ['aud as an array containing the audience', () => sign(claims({ aud: ['other', AUDIENCE] }))],
    ['exp 4 s ago (within the 5 s leeway)', () => sign(claims({ exp: now - 4 }))],
    ['nbf 5 s ahead (within the leeway)', () => sign(claims({ nbf: now + 5 }))],
  ])('%s', async (_name, make) => {
    const token = await make();
    const verified = await verifyAccessToken(token, resolve, policy);
    expect(verified.claims.iss).toBe(ISSUER);
    expect(verified.kid).toMatch(/^(es|ed)$/);
  });

  it('maps the claims to a principal', async () => {
    const c = claims({ sub: 'user-1', scope: 'a  b' });
    const principal = principalOf(await verifyAccessToken(await sign(c), resolve, policy));
    expect(principal).toEqual({
      jti: c.jti,
      sub: 'user-1',
      clientId: 'client-1',
      scopes: ['a', 'b'],
      exp: now + 300,
      aud: [AUDIENCE],
      kid: 'es',
    });
  });

  it('allowExpired accepts an expired token, and still checks everything else', async () => {
    const expired = await sign(claims({ exp: now - 600, iat: now - 900 }));
    expect((await refusal(expired)).description).toBe(REFUSAL.expired);
    expect((await verifyAccessToken(expired, resolve, { ...policy, allowExpired: true })).kid).toBe('es');
    const foreignAud = await sign(claims({ exp: now - 600, aud: 'other' }));
    expect((await refusal(foreignAud, { allowExpired: true })).description).toBe(REFUSAL.audience);
    const forged = await sign(claims({ exp: now - 600 }), HEADER, foreign);
    expect((await refusal(forged, { allowExpired: true })).description).toBe(REFUSAL.signature);
    const noJti = await sign(claims({ exp: now - 600 }, ['jti']));
    expect((await refusal(noJti, { allowExpired: true })).description).toBe(REFUSAL.claims);
  });
});

describe('verifyAccessToken refuses with invalid_token (RFC 6750 §3.1, RFC 8725)', () => {
  const hs256 = (header: object, payload: object) => {
    const input = `${b64u(header)}.${b64u(payload)}`;
    return `${input}.${createHmac('sha256', 'secret').update(input).digest('base64url')}`;
  };
  const tamper = (token: string, changes: JWTPayload) => {
    const [h, p, s] = token.split('.');
    return `${h}.${b64u({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), ...changes })}.${s}`;
  };

  const cases: [string, () => string | Promise<string>, Refusal][] = [
    ['longer than MAX_TOKEN_LENGTH', () => 'A'.repeat(MAX_TOKEN_LENGTH + 1), 'malformed'],
    ['not three segments', () => 'a.b', 'malformed'],
    ['a header that is not JSON', () => `${b64u('{"alg":')}.${b64u(claims())}.c2ln`, 'malformed'],
    ['a header that is a JSON string', () => `${b64u('"at+jwt"')}.${b64u(claims())}.c2ln`, 'malformed'],
    ['typ "JWT"', () => sign(claims(), { ...HEADER, typ: 'JWT' }), 'typ'],
    ['no typ', () => sign(claims(), { alg: 'ES256', kid: 'es' }), 'typ'],
    [
      'an unknown crit extension',
      () => sign(claims(), { ...HEADER, crit: ['x-test'], 'x-test': true }),
      'crit',
    ],
    [
      'crit naming a parameter jose knows (b64)',
      () => sign(claims(), { ...HEADER, crit: ['b64'], b64: true }),
      'crit',
    ],
    ['no kid', () => sign(claims(), { alg: 'ES256', typ: 'at+jwt' }), 'key'],
    ['an unknown kid', () => sign(claims(), { ...HEADER, kid: 'nope' }), 'key'],
    ['kid "__proto__"', () => sign(claims(), { ...HEADER, kid: '__proto__' }), 'key'],
    ['kid as an object', () => sign(claims(), { ...HEADER, kid: { kid: 'es' } as unknown as string }), 'key'],
    ['alg "none" with a known kid', () => `${b64u({ ...HEADER, alg: 'none' })}.${b64u(claims())}.`, 'alg'],
    ['HS256 with a known kid', () => hs256({ ...HEADER, alg: 'HS256' }, claims()), 'alg'],
    ['another ES alg than the key', () => sign(claims(), { ...HEADER, alg: 'ES384' }, es384), 'alg'],
    ['a foreign key with a known kid', () => sign(claims(), HEADER, foreign), 'signature'],
    ['a tampered payload', async () => tamper(await sign(), { scope: 'admin' }), 'signature'],
    [
      'the signature stripped',
      async () => `${(await sign()).split('.').slice(0, 2).join('.')}.`,
      'signature',
    ],
    ['a signature that is not base64url', async () => `${(await sign()).slice(0, -4)}!!!!`, 'malformed'],
    ['another iss', () => sign(claims({ iss: 'https://evil.example' })), 'issuer'],
    ['no iss', () => sign(claims({}, ['iss'])), 'issuer'],
    ['another aud', () => sign(claims({ aud: 'https://other.example' })), 'audience'],
    ['no aud', () => sign(claims({}, ['aud'])), 'audience'],
    ['exp 5 s ago (past the leeway)', () => sign(claims({ exp: now - 5 })), 'expired'],
    ['nbf 6 s ahead', () => sign(claims({ nbf: now + 6 })), 'notYetValid'],
    ['nbf not a number', () => sign(claims({ nbf: 'soon' as unknown as number })), 'invalid'],
    ...['jti', 'sub', 'client_id', 'scope', 'exp', 'iat'].map(
      (c): [string, () => Promise<string>, Refusal] => [`no ${c}`, () => sign(claims({}, [c])), 'claims'],
    ),
    ['scope as an array', () => sign(claims({ scope: ['a'] })), 'claims'],
    ['client_id as a number', () => sign(claims({ client_id: 7 })), 'claims'],
    ['jti as a number', () => sign(claims({ jti: 7 as unknown as string })), 'claims'],
    ['exp as a string', () => sign(claims({ exp: String(now + 60) as unknown as number })), 'claims'],
    ['iat as a string', () => sign(claims({ iat: String(now) as unknown as number })), 'claims'],
    ['a payload of JSON null', () => signRaw('null'), 'invalid'],
    ['a payload that is not JSON', () => signRaw('not json'), 'invalid'],
  ];

  it.each(cases)('%s', async (_name, make, reason) => {
    const err = await refusal(await make());
    expect(err.description).toBe(REFUSAL[reason]);
    expect(err.status).toBe(401);
    expect(err.headers['WWW-Authenticate']).toContain('error="invalid_token"');
    expect(err.detail).toBeTruthy();
  });

  it('a key resolver failure is a generic refusal whose cause stays private', async () => {
    const failing = () => Promise.reject(new Error('connection refused 10.0.0.7'));
    const err = (await verifyAccessToken(await sign(), failing, policy).catch(
      (e: unknown) => e,
    )) as InvalidTokenError;
    expect(err).toBeInstanceOf(InvalidTokenError);
    expect(err.description).toBe(REFUSAL.invalid);
    expect(err.detail).toContain('connection refused');
  });

  it('the frozen clock decides: the same token is live before exp and expired after', async () => {
    const token = await sign(claims({ exp: now + 60 }));
    await expect(verifyAccessToken(token, resolve, policy)).resolves.toBeDefined();
    const later = { currentDate: new Date(NOW.getTime() + 65_000) };
    expect((await refusal(token, later)).description).toBe(REFUSAL.expired);
  });
});
