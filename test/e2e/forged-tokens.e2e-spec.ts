import {
  createHmac,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { request as httpRequest } from 'node:http';
import {
  CompactSign,
  SignJWT,
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_TOKEN_LENGTH } from '@scopegate/nest/core';
import { Clock } from '../../src/platform/clock';
import type { DemoCredential } from '../../src/demo/seeds/demo-seeder';
import { KeysService, type SigningKey } from '../../src/keys/keys.service';
import { startTestApp, type TestApp } from '../support/app';
import { ADMIN_ENV, accessToken, basic, seedDemo } from '../support/oauth';

/**
 * Every forged, tampered, expired or malformed access token presented to a protected route is refused
 * with RFC 6750 §3.1 `401 invalid_token` (never a 500, never a stack trace), and the few legitimate
 * variants (lowercase scheme, a token re-signed unchanged with the real key) are accepted, so that no
 * case can pass vacuously.
 */

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: { error?: string; error_description?: string; [k: string]: unknown } | undefined;
}

type Claims = JWTPayload & Record<string, unknown>;
type Header = JWTHeaderParameters;

const b64u = (v: string | object): string =>
  Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8').toString('base64url');

/** A response must never leak internals: no stack frames, no `Error:` prefixes. */
function expectNoLeak(text: string): void {
  expect(text).not.toMatch(/\n\s*at \S|\bat [\w$.<>]+ \(.*:\d+:\d+\)/);
  expect(text).not.toContain('Error:');
}

/** RFC 6750 §3 / §3.1: 401, a Bearer challenge with error="invalid_token", the same error in the JSON body. */
function expectInvalidToken(res: Reply, description?: RegExp): void {
  expect(res.status, res.text).toBe(401);
  expect(res.body).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
  const challenge = res.headers.get('www-authenticate');
  expect(challenge).toMatch(
    /^Bearer realm="scopegate", error="invalid_token", error_description="(?:[^"\\]|\\.)+"$/,
  );
  expect(challenge).toContain(`error_description="${res.body!.error_description}"`);
  if (description) expect(res.body!.error_description).toMatch(description);
}

describe('forged and invalid access tokens (RFC 6750 §3.1, RFC 8725, RFC 9068 §4)', () => {
  let app: TestApp;
  let creds: Record<string, DemoCredential>;
  let customerPath: string;
  /** A genuine `viewer` token (scope customers:read + OIDC scopes) and its parts. */
  let viewerToken: string;
  let validClaims: Claims;
  let validHeader: Header;
  let adminTokenValue: string;
  /** The server's published verification key (JWKS) and its real private signing key. */
  let serverJwk: JWK;
  let kid: string;
  let signing: SigningKey;
  /** An attacker's keys. */
  let foreignEc: { privateKey: KeyObject; publicKey: KeyObject };
  let foreignRsa: KeyObject;
  /** Issued by the server itself while its clock was frozen 10 minutes in the past. */
  let expiredToken: string;

  const nowSeconds = () => Math.floor(Date.now() / 1000);

  async function send(
    path: string,
    headers: Record<string, string> = {},
    init: { method?: string; body?: unknown } = {},
  ): Promise<Reply> {
    const res = await fetch(`${app.url}${path}`, {
      method: init.method ?? 'GET',
      headers: init.body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return reply(res.status, res.headers, await res.text());
  }

  function reply(status: number, headers: Headers, text: string): Reply {
    expectNoLeak(text);
    let body: Reply['body'];
    try {
      body = text ? (JSON.parse(text) as Reply['body']) : undefined;
    } catch {
      body = undefined;
    }
    return { status, headers, text, body };
  }

  const withBearer = (token: string) => send(customerPath, { authorization: `Bearer ${token}` });
  const withAuthorization = (value: string) => send(customerPath, { authorization: value });

  /** Sends several `Authorization` field lines (fetch would fold them into one). */
  function sendRawAuthorization(values: string[]): Promise<Reply> {
    const url = new URL(`${app.url}${customerPath}`);
    // Raw (array) headers: Node adds no Host of its own then.
    const headers = ['host', url.host, ...values.flatMap((v) => ['authorization', v])];
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
          }
          resolve(reply(res.statusCode ?? 0, headers, Buffer.concat(chunks).toString('utf8')));
        });
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** Signs `claims` with the server's real private key; the header defaults to the genuine one. */
  function signReal(
    claims: Claims,
    header: Header = { alg: signing.alg, typ: 'at+jwt', kid },
  ): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader(header)
      .sign(signing.privateKey, { crit: { 'x-scopegate-test': true } });
  }

  /** Signs an arbitrary (possibly non-JSON) payload with the real key. */
  function signRawPayload(payload: string): Promise<string> {
    return new CompactSign(new TextEncoder().encode(payload))
      .setProtectedHeader({ alg: signing.alg, typ: 'at+jwt', kid })
      .sign(signing.privateKey);
  }

  /** HS256 over header.payload with `secret` (RFC 8725 §2.1 algorithm confusion). */
  function hs256(header: Record<string, unknown>, claims: Claims, secret: string | Buffer): string {
    const input = `${b64u(header)}.${b64u(claims)}`;
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  }

  function withClaims(changes: Claims, drop: string[] = []): Claims {
    const claims: Claims = { ...validClaims, jti: randomUUID(), ...changes };
    for (const k of drop) delete claims[k];
    return claims;
  }

  beforeAll(async () => {
    app = await startTestApp({ ...ADMIN_ENV });
    creds = await seedDemo(app);
    viewerToken = await accessToken(app, creds.viewer.client_id, creds.viewer.client_secret);
    adminTokenValue = await accessToken(app, creds.admin.client_id, creds.admin.client_secret);
    validClaims = decodeJwt(viewerToken) as Claims;
    validHeader = decodeProtectedHeader(viewerToken) as Header;

    const page = await send('/customers?limit=1', { authorization: `Bearer ${viewerToken}` });
    expect(page.status).toBe(200);
    const customerId = (page.body!.data as { id: string }[])[0].id;
    customerPath = `/customers/${customerId}`;

    const jwks = await send('/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    const keys = jwks.body!.keys as JWK[];
    expect(keys).toHaveLength(1);
    serverJwk = keys[0];
    kid = serverJwk.kid!;
    signing = app.app.get(KeysService).signingKey();
    expect(signing.kid).toBe(kid);
    expect(validHeader).toEqual({ alg: signing.alg, typ: 'at+jwt', kid });

    foreignEc = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    foreignRsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

    // The server issues this token itself, with its clock frozen 10 minutes ago (TTL is 300 s).
    const clock = app.app.get(Clock);
    const frozen = vi.spyOn(clock, 'now').mockReturnValue(Date.now() - 10 * 60_000);
    try {
      expiredToken = await accessToken(app, creds.viewer.client_id, creds.viewer.client_secret);
    } finally {
      frozen.mockRestore();
    }
  });
  afterAll(() => app?.stop());

  describe('controls: genuine tokens are accepted', () => {
    it('a viewer token reads the customer, with only the fields its scopes grant', async () => {
      const res = await withBearer(viewerToken);
      expect(res.status, res.text).toBe(200);
      expect(customerPath).toBe(`/customers/${res.body!.id as string}`);
      expect(res.body).not.toHaveProperty('name');
      expect(res.body).not.toHaveProperty('iban');
    });

    it('the same claims re-signed unchanged with the real key are accepted (the forging helpers are sound)', async () => {
      const res = await withBearer(await signReal(withClaims({})));
      expect(res.status, res.text).toBe(200);
    });

    // RFC 7235 §2.1 / RFC 9110 §11.1: the auth-scheme is case-insensitive.
    it.each([['bearer'], ['BEARER'], ['bEaReR']])('the scheme "%s" is accepted', async (scheme) => {
      const res = await withAuthorization(`${scheme} ${viewerToken}`);
      expect(res.status, res.text).toBe(200);
    });

    it('the expired token was really issued by the server, in the past', () => {
      const claims = decodeJwt(expiredToken);
      expect(decodeProtectedHeader(expiredToken)).toEqual({ alg: signing.alg, typ: 'at+jwt', kid });
      expect(claims.exp).toBeLessThan(nowSeconds() - 60);
    });
  });

  describe('forged tokens get 401 invalid_token', () => {
    const ALG = /algorithm does not match/;
    const SIGNATURE = /signature is invalid/;
    const UNKNOWN_KEY = /not signed by a key of this server/;
    const TYP = /not an access token \(typ\)/;
    const CLAIMS = /lacks required claims/;

    const cases: [string, () => string | Promise<string>, RegExp][] = [
      // RFC 8725 §2.1, §3.1: "none" must never be accepted, whatever the header claims.
      [
        'alg "none", real kid, empty signature',
        () => `${b64u({ ...validHeader, alg: 'none' })}.${b64u(withClaims({}))}.`,
        ALG,
      ],
      [
        'alg "none", real kid, original signature kept',
        () => `${b64u({ ...validHeader, alg: 'none' })}.${viewerToken.split('.').slice(1).join('.')}`,
        ALG,
      ],
      [
        'alg "none" without kid',
        () => `${b64u({ alg: 'none', typ: 'at+jwt' })}.${b64u(withClaims({}))}.`,
        UNKNOWN_KEY,
      ],
      // RFC 8725 §2.1: HMAC with the public key as the secret (algorithm confusion).
      [
        'HS256 keyed with the public key as SPKI PEM',
        () => hs256({ ...validHeader, alg: 'HS256' }, withClaims({}), pem()),
        ALG,
      ],
      [
        'HS256 keyed with the public key as SPKI DER',
        () => hs256({ ...validHeader, alg: 'HS256' }, withClaims({}), der()),
        ALG,
      ],
      [
        'HS256 keyed with the JWK JSON',
        () => hs256({ ...validHeader, alg: 'HS256' }, withClaims({}), JSON.stringify(serverJwk)),
        ALG,
      ],
      [
        'HS256 keyed with the public key, no kid',
        () => hs256({ alg: 'HS256', typ: 'at+jwt' }, withClaims({}), pem()),
        UNKNOWN_KEY,
      ],
      [
        'RS256 from a foreign RSA key with the real kid',
        () =>
          new SignJWT(withClaims({})).setProtectedHeader({ ...validHeader, alg: 'RS256' }).sign(foreignRsa),
        ALG,
      ],
      // RFC 9068 §4: the signature must verify with the issuer's key named by kid.
      [
        'ES256 from a foreign key carrying the real kid',
        () => new SignJWT(withClaims({})).setProtectedHeader({ ...validHeader }).sign(foreignEc.privateKey),
        SIGNATURE,
      ],
      [
        'foreign key embedded as a "jwk" header (CVE-2018-0114 style)',
        async () =>
          new SignJWT(withClaims({}))
            .setProtectedHeader({ ...validHeader, alg: 'ES256', jwk: await exportJWK(foreignEc.publicKey) })
            .sign(foreignEc.privateKey),
        SIGNATURE,
      ],
      [
        'foreign key advertised by a "jku" header',
        () =>
          new SignJWT(withClaims({}))
            .setProtectedHeader({ ...validHeader, jku: 'https://attacker.example/jwks.json' })
            .sign(foreignEc.privateKey),
        SIGNATURE,
      ],
      [
        'foreign key with its own kid',
        async () =>
          new SignJWT(withClaims({}))
            .setProtectedHeader({
              alg: 'ES256',
              typ: 'at+jwt',
              kid: await calculateJwkThumbprint(await exportJWK(foreignEc.publicKey)),
            })
            .sign(foreignEc.privateKey),
        UNKNOWN_KEY,
      ],
      // Tampering: any change to the signed bytes invalidates the signature (RFC 7515 §5.2).
      [
        'payload tampered to add customers:banking, signature kept',
        () =>
          tamper(viewerToken, { scope: `${validClaims.scope as string} customers:banking customers:write` }),
        SIGNATURE,
      ],
      [
        'payload tampered to extend exp, signature kept',
        () => tamper(viewerToken, { exp: nowSeconds() + 86_400 }),
        SIGNATURE,
      ],
      [
        "viewer payload with the admin token's signature",
        () => `${viewerToken.split('.').slice(0, 2).join('.')}.${adminTokenValue.split('.')[2]}`,
        SIGNATURE,
      ],
      ['signature stripped', () => `${viewerToken.split('.').slice(0, 2).join('.')}.`, /invalid/],
      // RFC 9068 §4 / RFC 8725 §3.11: explicit typing, checked before anything else is trusted.
      ['real key, typ "JWT"', () => signReal(withClaims({}), { alg: signing.alg, typ: 'JWT', kid }), TYP],
      ['real key, no typ', () => signReal(withClaims({}), { alg: signing.alg, kid }), TYP],
      [
        'real key, typ "id_token+jwt"',
        () => signReal(withClaims({}), { alg: signing.alg, typ: 'id_token+jwt', kid }),
        TYP,
      ],
      // RFC 7515 §4.1.11: unknown critical extensions must be rejected.
      [
        'real key, unknown "crit" extension',
        () =>
          signReal(withClaims({}), {
            alg: signing.alg,
            typ: 'at+jwt',
            kid,
            crit: ['x-scopegate-test'],
            'x-scopegate-test': true,
          }),
        /critical header/,
      ],
      // RFC 8725 §3.10: kid is untrusted input, only ever a lookup key into our own key store.
      [
        'unknown kid',
        () => signReal(withClaims({}), { alg: signing.alg, typ: 'at+jwt', kid: 'no-such-key' }),
        UNKNOWN_KEY,
      ],
      ['missing kid', () => signReal(withClaims({}), { alg: signing.alg, typ: 'at+jwt' }), UNKNOWN_KEY],
      [
        'kid "__proto__"',
        () => signReal(withClaims({}), { alg: signing.alg, typ: 'at+jwt', kid: '__proto__' }),
        UNKNOWN_KEY,
      ],
      [
        'kid path traversal',
        () => signReal(withClaims({}), { alg: signing.alg, typ: 'at+jwt', kid: '../../../../dev/null' }),
        UNKNOWN_KEY,
      ],
      [
        'kid as an object',
        // jose types kid as a string; the wire format does not.
        () =>
          signReal(withClaims({}), { alg: signing.alg, typ: 'at+jwt', kid: { kid } as unknown as string }),
        UNKNOWN_KEY,
      ],
      // RFC 9068 §4, RFC 8725 §3.8 / §3.9: iss must be ours, aud must name this resource.
      [
        'real key, wrong iss',
        () => signReal(withClaims({ iss: 'https://attacker.example' })),
        /another issuer/,
      ],
      ['real key, no iss', () => signReal(withClaims({}, ['iss'])), /another issuer/],
      [
        'real key, wrong aud',
        () => signReal(withClaims({ aud: 'https://other-api.example' })),
        /not meant for this resource/,
      ],
      ['real key, no aud', () => signReal(withClaims({}, ['aud'])), /not meant for this resource/],
      // RFC 7519 §4.1.4 exp, §4.1.5 nbf (the strategy allows 5 s of clock skew).
      [
        'real key, nbf 10 minutes ahead',
        () => signReal(withClaims({ nbf: nowSeconds() + 600 })),
        /not valid yet/,
      ],
      [
        'real key, exp 10 minutes ago',
        () => signReal(withClaims({ iat: nowSeconds() - 900, exp: nowSeconds() - 600 })),
        /expired/,
      ],
      // RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti are REQUIRED (and scope for our routes).
      ['real key, no jti', () => signReal(withClaims({}, ['jti'])), CLAIMS],
      ['real key, no scope', () => signReal(withClaims({}, ['scope'])), CLAIMS],
      ['real key, no client_id', () => signReal(withClaims({}, ['client_id'])), CLAIMS],
      ['real key, no sub', () => signReal(withClaims({}, ['sub'])), CLAIMS],
      ['real key, no exp (a token that never expires)', () => signReal(withClaims({}, ['exp'])), CLAIMS],
      ['real key, no iat', () => signReal(withClaims({}, ['iat'])), CLAIMS],
      ['real key, scope as an array', () => signReal(withClaims({ scope: ['customers:read'] })), CLAIMS],
      ['real key, payload is JSON null', () => signRawPayload('null'), /invalid|not meant/],
      ['real key, payload is not JSON', () => signRawPayload('not json at all'), /invalid|not meant/],
    ];

    /** The server's public key exactly as a careless HMAC verifier would load it. */
    const publicKey = () => createPublicKey({ key: serverJwk as JsonWebKey, format: 'jwk' });
    const pem = () => publicKey().export({ type: 'spki', format: 'pem' }).toString();
    const der = () => publicKey().export({ type: 'spki', format: 'der' });

    it.each(cases)('%s', async (_name, make, description) => {
      expectInvalidToken(await withBearer(await make()), description);
    });

    it('a token the server itself issued with a clock 10 minutes behind is refused as expired', async () => {
      expectInvalidToken(await withBearer(expiredToken), /expired/);
    });
  });

  describe('malformed bearer credentials get 401 invalid_token', () => {
    const header = b64u({ alg: 'ES256', typ: 'at+jwt', kid: 'x' });
    const cases: [string, () => string, RegExp][] = [
      ['"abc"', () => 'Bearer abc', /malformed/],
      ['"a.b.c"', () => 'Bearer a.b.c', /malformed/],
      ['"..."', () => 'Bearer ...', /malformed/],
      [
        'random base64url in JWT shape',
        () => `Bearer ${[24, 96, 64].map((n) => randomBytes(n).toString('base64url')).join('.')}`,
        /malformed/,
      ],
      [
        'a header of invalid JSON',
        () => `Bearer ${b64u('{"alg":"ES256","typ":')}.${b64u(validClaims)}.c2ln`,
        /malformed/,
      ],
      [
        'a header that is a JSON string',
        () => `Bearer ${b64u('"at+jwt"')}.${b64u(validClaims)}.c2ln`,
        /malformed/,
      ],
      ['four segments', () => `Bearer ${viewerToken}.${header}`, /malformed/],
      ['two segments', () => `Bearer ${header}.${b64u(validClaims)}`, /malformed/],
      [
        `a token just over MAX_TOKEN_LENGTH (${MAX_TOKEN_LENGTH + 1} characters)`,
        () => `Bearer ${'A'.repeat(MAX_TOKEN_LENGTH + 1)}`,
        /malformed/,
      ],
      ['Latin-1 characters', () => 'Bearer t\u00f6k\u00e9n', /malformed/],
      // UTF-8 bytes on the wire (fetch sends a string's code points < 256 as single bytes).
      [
        'UTF-8 bytes',
        () => `Bearer ${Buffer.from('jeton-\u{1F511}-\u00e9', 'utf8').toString('latin1')}`,
        /malformed/,
      ],
      ['a quoted token', () => `Bearer "${viewerToken}"`, /malformed/],
      // RFC 6750 §2.1: `credentials = "Bearer" 1*SP b64token`; the client did attempt Bearer.
      ['"Bearer" with no token', () => 'Bearer', /malformed/],
      [
        'a token with an inner space',
        () => `Bearer ${viewerToken.slice(0, 20)} ${viewerToken.slice(20)}`,
        /malformed/,
      ],
      // RFC 9110 §11.6.2: Authorization carries one set of credentials; a list is not a bearer token.
      [
        'two schemes, Bearer first',
        () => `Bearer ${viewerToken}, Basic ${basic('a', 'b').slice(6)}`,
        /malformed/,
      ],
    ];

    it.each(cases)('%s', async (_name, make, description) => {
      expectInvalidToken(await withAuthorization(make()), description);
    });

    it('a 20 KB token is refused with a 4xx, never a 5xx or a stack trace', async () => {
      const res = await withAuthorization(`Bearer ${'A'.repeat(20 * 1024)}`);
      if (res.status === 431) {
        // Node's HTTP parser (16 KiB default header limit) refuses it before Nest's guard runs; the
        // clientError handler answers 431 invalid_request (no WWW-Authenticate, no stack).
        expect(res.body).toMatchObject({ error: 'invalid_request' });
      } else {
        expectInvalidToken(res, /malformed/);
      }
    });

    it('two Authorization field lines, forged first then genuine, are not accepted', async () => {
      const forged = tamper(viewerToken, { scope: 'customers:read customers:banking' });
      const res = await sendRawAuthorization([`Bearer ${forged}`, `Bearer ${viewerToken}`]);
      expect(res.status, res.text).not.toBe(200);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.body?.error).toMatch(/^invalid_(token|request)$/);
    });
  });

  describe('how the token is sent', () => {
    // RFC 6750 §2.3, §5.3: the URI query method is refused (invalid_request, §3.1), even alongside a header.
    it.each([
      ['alone', false],
      ['together with the Authorization header', true],
    ])('?access_token= %s → 400 invalid_request', async (_name, withHeader) => {
      const res = await send(
        `${customerPath}?access_token=${viewerToken}`,
        withHeader ? { authorization: `Bearer ${viewerToken}` } : {},
      );
      expect(res.status, res.text).toBe(400);
      expect(res.body).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
      expect(res.headers.get('www-authenticate')).toMatch(
        /^Bearer realm="scopegate", error="invalid_request", error_description="[^"]+"$/,
      );
    });

    // RFC 6750 §3.1: no authentication information, or "an unsupported authentication scheme" → the
    // challenge carries no error attribute (the body still explains).
    it.each<[string, () => string | undefined]>([
      ['no Authorization header', () => undefined],
      ['an unsupported scheme (Basic)', () => basic(creds.viewer.client_id, creds.viewer.client_secret)],
      // The scheme is Basic (with a malformed token68): a valid bearer token after it is not used.
      ['two schemes, Basic first', () => `${basic('a', 'b')}, Bearer ${viewerToken}`],
    ])('%s → 401 with a bare Bearer challenge', async (_name, authorization) => {
      const value = authorization();
      const res = await send(customerPath, value === undefined ? {} : { authorization: value });
      expect(res.status, res.text).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="scopegate"');
      expect(res.body).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
    });

    // RFC 6750 §3.1: insufficient_scope is 403 and names the scope the request needs.
    it('a valid token without customers:write gets 403 insufficient_scope on PATCH', async () => {
      const res = await send(
        customerPath,
        { authorization: `Bearer ${viewerToken}` },
        { method: 'PATCH', body: { name: 'Mallory' } },
      );
      expect(res.status, res.text).toBe(403);
      expect(res.body).toEqual({ error: 'insufficient_scope', error_description: expect.any(String) });
      const challenge = res.headers.get('www-authenticate')!;
      expect(challenge).toMatch(/^Bearer realm="scopegate", error="insufficient_scope", /);
      expect(challenge).toContain('scope="customers:write"');
    });
  });
});

/** Re-encodes the payload with `changes` and keeps the original header and signature. */
function tamper(token: string, changes: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.');
  const claims = { ...JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')), ...changes };
  return `${header}.${b64u(claims)}.${signature}`;
}
