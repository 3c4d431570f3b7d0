import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { GatewayConfigError, describeConfig, loadConfig, parseConfig } from './config';
import type { GatewayConfig } from './config.types';

const env = { SCOPEGATE_CLIENT_SECRET: 's3cr3t-from-env' };

/** SPEC §10's example, with the secret taken from the environment. */
const SPEC_EXAMPLE = `
listen: { host: 127.0.0.1, port: 8080 }
issuer: http://127.0.0.1:3000
client: { id: gw-client, secret: "\${SCOPEGATE_CLIENT_SECRET}" }          # scope scopegate:resource-server: feed, catalog, usage
routes:
  - name: orders
    match: { path: /orders/*, methods: [GET, POST] }   # '*' matches the rest of the path
    upstream: http://127.0.0.1:9000
    audience: https://orders.example
    scopes: [orders:read]                         # all required; scopes_any: [...] for any-of
    claims: { total_price: pricing, "items[].unit_price": pricing }   # JSON response field → category
    rate_limit: { per_client: 50, window: 1s }
    timeout: 10s                                   # no upstream answer by then → 504 JSON
  - name: status
    match: { path: /status }
    upstream: http://127.0.0.1:9000
    public: true
`;

const SPEC_RESULT: GatewayConfig = {
  listen: { host: '127.0.0.1', port: 8080 },
  issuer: 'http://127.0.0.1:3000',
  client: { id: 'gw-client', secret: 's3cr3t-from-env' },
  failClosed: true,
  maxBodyBytes: 8 * 1024 * 1024,
  routes: [
    {
      name: 'orders',
      match: { path: '/orders/*', methods: ['GET', 'POST'], caseInsensitive: false },
      upstream: 'http://127.0.0.1:9000',
      audience: 'https://orders.example',
      scopes: ['orders:read'],
      scopesAny: [],
      public: false,
      claims: { total_price: 'pricing', 'items[].unit_price': 'pricing' },
      rateLimit: { perClient: 50, windowMs: 1000 },
      timeoutMs: 10_000,
      forwardToken: false,
    },
    {
      name: 'status',
      match: { path: '/status', methods: ['GET', 'HEAD'], caseInsensitive: false },
      upstream: 'http://127.0.0.1:9000',
      scopes: [],
      scopesAny: [],
      public: true,
      claims: {},
      timeoutMs: 30_000,
      forwardToken: false,
    },
  ],
};

type Obj = Record<string, unknown>;

const ROUTE: Obj = {
  name: 'orders',
  match: { path: '/orders/*' },
  upstream: 'http://127.0.0.1:9000',
  audience: 'https://orders.example',
};

/** A minimal valid configuration with `top` merged in (undefined removes a key). */
function config(top: Obj = {}, routes: Obj[] = [ROUTE]): string {
  return stringify({ issuer: 'http://127.0.0.1:3000', client: { id: 'gw', secret: 'pw' }, routes, ...top });
}

const route = (r: Obj) => config({}, [{ ...ROUTE, ...r }]);
const match = (m: Obj) => route({ match: { path: '/orders/*', ...m } });

function problems(text: string, e: Record<string, string | undefined> = env): string[] {
  try {
    parseConfig(text, e);
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayConfigError);
    return (err as GatewayConfigError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('the configuration was accepted');
}

describe('parseConfig', () => {
  it('reads SPEC §10’s example into the exact configuration', () => {
    expect(parseConfig(SPEC_EXAMPLE, env)).toStrictEqual(SPEC_RESULT);
  });

  it('reads every setting', () => {
    const cfg = parseConfig(
      config(
        {
          listen: { host: '0.0.0.0', port: 0 },
          fail_closed: false,
          max_body_bytes: '512kb',
          redis_url: 'redis://:pw@cache:6379/2',
        },
        [
          {
            ...ROUTE,
            match: { path: '/Orders/*', methods: ['get', 'PATCH', 'GET'], case_insensitive: true },
            scopes: ['a', 'b', 'a'],
            scopes_any: ['c', 'd'],
            claims: { '[].id': 'ids', 'a.b-c.$d[]': 'x:y' },
            rate_limit: { per_client: 1, window: '1h' },
            timeout: 500,
            forward_token: true,
          },
        ],
      ),
      {},
    );
    expect(cfg).toStrictEqual({
      listen: { host: '0.0.0.0', port: 0 },
      issuer: 'http://127.0.0.1:3000',
      client: { id: 'gw', secret: 'pw' },
      failClosed: false,
      maxBodyBytes: 512 * 1024,
      redisUrl: 'redis://:pw@cache:6379/2',
      routes: [
        {
          name: 'orders',
          match: { path: '/Orders/*', methods: ['GET', 'PATCH'], caseInsensitive: true },
          upstream: 'http://127.0.0.1:9000',
          audience: 'https://orders.example',
          scopes: ['a', 'b'],
          scopesAny: ['c', 'd'],
          public: false,
          claims: { '[].id': 'ids', 'a.b-c.$d[]': 'x:y' },
          rateLimit: { perClient: 1, windowMs: 3_600_000 },
          timeoutMs: 500,
          forwardToken: true,
        },
      ],
    });
  });

  const minimal = parseConfig(config(), {});
  it.each([
    ['listen.host', minimal.listen.host, '127.0.0.1'],
    ['listen.port', minimal.listen.port, 8080],
    ['fail_closed', minimal.failClosed, true],
    ['max_body_bytes', minimal.maxBodyBytes, 8 * 1024 * 1024],
    ['redis_url', minimal.redisUrl, undefined],
    ['match.methods', minimal.routes[0].match.methods, ['GET', 'HEAD']],
    ['match.case_insensitive', minimal.routes[0].match.caseInsensitive, false],
    ['timeout', minimal.routes[0].timeoutMs, 30_000],
    ['forward_token', minimal.routes[0].forwardToken, false],
    ['scopes', minimal.routes[0].scopes, []],
    ['scopes_any', minimal.routes[0].scopesAny, []],
    ['claims', minimal.routes[0].claims, {}],
    ['public', minimal.routes[0].public, false],
    ['rate_limit', minimal.routes[0].rateLimit, undefined],
  ])('defaults %s', (_setting, actual, expected) => {
    expect(actual).toStrictEqual(expected);
  });
  it('leaves no key for an absent redis_url, rate_limit or audience', () => {
    expect('redisUrl' in minimal).toBe(false);
    expect('rateLimit' in minimal.routes[0]).toBe(false);
    expect('audience' in parseConfig(route({ audience: undefined, public: true }), {}).routes[0]).toBe(false);
  });

  it.each([
    ['10s', 10_000],
    ['500ms', 500],
    ['1m', 60_000],
    ['1.5s', 1500],
    [250, 250],
    ['250', 250],
    ['10m', 600_000],
  ])('reads the duration %j', (timeout, ms) => {
    expect(parseConfig(route({ timeout }), {}).routes[0].timeoutMs).toBe(ms);
  });

  it.each([
    ['8mb', 8 * 1024 * 1024],
    ['8MB', 8 * 1024 * 1024],
    ['512kb', 512 * 1024],
    ['1gb', 1024 * 1024 * 1024],
    ['100b', 100],
    [4096, 4096],
    ['4096', 4096],
  ])('reads the size %j', (max_body_bytes, bytes) => {
    expect(parseConfig(config({ max_body_bytes }), {}).maxBodyBytes).toBe(bytes);
  });

  describe('environment', () => {
    it('substitutes ${NAME} anywhere in a string value', () => {
      const cfg = parseConfig(
        config({
          client: { id: '${GW_ID}', secret: 'x-${GW_SECRET}-y' },
          listen: { port: '${GW_PORT}' },
          redis_url: 'redis://:${REDIS_PASSWORD}@cache:6379',
        }),
        { GW_ID: 'gw-1', GW_SECRET: 'p$w{d}', GW_PORT: '9090', REDIS_PASSWORD: 'r' },
      );
      expect(cfg.client).toStrictEqual({ id: 'gw-1', secret: 'x-p$w{d}-y' });
      expect(cfg.listen.port).toBe(9090);
      expect(cfg.redisUrl).toBe('redis://:r@cache:6379');
    });

    it('keeps $${ as a literal ${ and does not substitute twice', () => {
      const cfg = parseConfig(config({ client: { id: 'gw', secret: 'a$${B}c${S}' } }), {
        B: 'no',
        S: '${B}',
      });
      expect(cfg.client.secret).toBe('a${B}c${B}');
    });

    it('takes REDIS_URL from the environment when redis_url is absent', () => {
      expect(parseConfig(config(), { REDIS_URL: 'redis://cache:6379' }).redisUrl).toBe('redis://cache:6379');
      expect(
        parseConfig(config({ redis_url: 'rediss://own:6380' }), { REDIS_URL: 'redis://cache:6379' }).redisUrl,
      ).toBe('rediss://own:6380');
      expect('redisUrl' in parseConfig(config(), { REDIS_URL: '' })).toBe(false);
    });

    it.each([
      [
        'an unset variable names the path and the variable',
        config({ client: { id: 'gw', secret: '${SCOPEGATE_CLIENT_SECRET}' } }),
        ['client.secret: environment variable SCOPEGATE_CLIENT_SECRET is not set'],
      ],
      [
        'only the unset variable, not what its text then fails',
        route({ upstream: '${UPSTREAM}' }),
        ['routes[0].upstream: environment variable UPSTREAM is not set'],
      ],
      [
        'in a list',
        route({ scopes: ['a', '${SCOPE}'] }),
        ['routes[0].scopes[1]: environment variable SCOPE is not set'],
      ],
      [
        'a malformed reference',
        config({ client: { id: 'gw', secret: 'ab${not a name}' } }),
        ['client.secret: has a malformed ${…} (a variable name is letters, digits and _)'],
      ],
      [
        'an unterminated reference',
        config({ client: { id: 'gw', secret: 'ab${cd' } }),
        ['client.secret: has an unterminated ${'],
      ],
      [
        'a bad REDIS_URL',
        config(),
        ['REDIS_URL: must be a redis:// or rediss:// URL'],
        { REDIS_URL: 'http://x' },
      ],
    ])('refuses %s', (_case, text, expected, e: Record<string, string> = {}) => {
      expect(problems(text, e)).toStrictEqual(expected);
    });
  });

  it.each([
    // top level
    ['a missing issuer', config({ issuer: undefined }), ['issuer: is required']],
    ['a missing client', config({ client: undefined }), ['client: is required']],
    ['a missing secret', config({ client: { id: 'gw' } }), ['client.secret: is required']],
    ['an empty client id', config({ client: { id: '', secret: 'x' } }), ['client.id: must not be empty']],
    ['a numeric secret', config({ client: { id: 'gw', secret: 123 } }), ['client.secret: must be a string']],
    [
      'a secret with a line break',
      config({ client: { id: 'gw', secret: 'abc\n' } }),
      ['client.secret: must be printable ASCII'],
    ],
    ['no routes', config({ routes: [] }), ['routes: must not be empty']],
    ['routes not a list', config({ routes: { a: 1 } }), ['routes: must be a list']],
    ['an unknown top-level key', config({ route: [] }), ['route: is not a known setting']],
    ['a camelCase key', config({ failClosed: false }), ['failClosed: is not a known setting']],
    ['a non-boolean flag', config({ fail_closed: 'yes' }), ['fail_closed: must be true or false']],
    ['an unknown listen key', config({ listen: { hots: 'x' } }), ['listen.hots: is not a known setting']],
    ['a port out of range', config({ listen: { port: 70000 } }), ['listen.port: must be at most 65535']],
    ['a negative port', config({ listen: { port: -1 } }), ['listen.port: must be at least 0']],
    [
      'a port that is not a number',
      config({ listen: { port: 'http' } }),
      ['listen.port: must be a whole number'],
    ],
    ['a fractional port', config({ listen: { port: 80.5 } }), ['listen.port: must be a whole number']],
    ['a bad host', config({ listen: { host: 'a b' } }), ['listen.host: must be a host name or IP address']],
    ['an issuer that is not http(s)', config({ issuer: 'ftp://x' }), ['issuer: must be an http(s) URL']],
    ['an issuer with a query', config({ issuer: 'https://x/?a' }), ['issuer: must not include a query']],
    [
      'a bad size',
      config({ max_body_bytes: '8 megs' }),
      ['max_body_bytes: must be a size such as 512kb or 8mb'],
    ],
    ['a zero size', config({ max_body_bytes: 0 }), ['max_body_bytes: must be greater than 0']],
    ['a huge size', config({ max_body_bytes: '2gb' }), ['max_body_bytes: must be at most 1gb']],
    [
      'a bad redis_url',
      config({ redis_url: 'cache:6379' }),
      ['redis_url: must be a redis:// or rediss:// URL'],
    ],
    ['an empty document', '', ['(root): must be a mapping']],
    ['a list document', '- a\n', ['(root): must be a mapping']],
    // routes
    ['a route without name', route({ name: undefined }), ['routes[0].name: is required']],
    [
      'a bad route name',
      route({ name: 'or ders' }),
      ['routes[0].name: must be 1 to 64 letters, digits and ._:-'],
    ],
    [
      'a long route name',
      route({ name: 'x'.repeat(65) }),
      ['routes[0].name: must be 1 to 64 letters, digits and ._:-'],
    ],
    ['an unknown route key', route({ scope: ['a'] }), ['routes[0].scope: is not a known setting']],
    ['a route without match', route({ match: undefined }), ['routes[0].match: is required']],
    ['a match without path', route({ match: { methods: ['GET'] } }), ['routes[0].match.path: is required']],
    ['an unknown match key', match({ method: 'GET' }), ['routes[0].match.method: is not a known setting']],
    ['a route without upstream', route({ upstream: undefined }), ['routes[0].upstream: is required']],
    ['a relative upstream', route({ upstream: '/api' }), ['routes[0].upstream: must be an http(s) URL']],
    [
      'a file upstream',
      route({ upstream: 'file:///etc/passwd' }),
      ['routes[0].upstream: must be an http(s) URL'],
    ],
    [
      'an upstream with a backslash',
      route({ upstream: 'http://a\\b' }),
      ['routes[0].upstream: must be an http(s) URL'],
    ],
    [
      'an upstream with a query',
      route({ upstream: 'http://a/b?c=d' }),
      ['routes[0].upstream: must not include a query'],
    ],
    [
      'an upstream with an empty query',
      route({ upstream: 'http://a/b?' }),
      ['routes[0].upstream: must not include a query'],
    ],
    [
      'an upstream with a fragment',
      route({ upstream: 'http://a/b#c' }),
      ['routes[0].upstream: must not include a fragment'],
    ],
    [
      'an upstream with credentials',
      route({ upstream: 'http://user:hunter2@a/b' }),
      ['routes[0].upstream: must not include credentials'],
    ],
    [
      'an upstream with an empty user',
      route({ upstream: 'http://@a/b' }),
      ['routes[0].upstream: must not include credentials'],
    ],
    ['an upstream that is a number', route({ upstream: 9000 }), ['routes[0].upstream: must be a string']],
    [
      'a missing audience',
      route({ audience: undefined }),
      ['routes[0].audience: is required unless the route is public'],
    ],
    ['a relative audience', route({ audience: 'orders' }), ['routes[0].audience: must be an absolute URI']],
    [
      'an audience with a fragment',
      route({ audience: 'https://o.example#x' }),
      ['routes[0].audience: must not include a fragment'],
    ],
    [
      'an audience with a query',
      route({ audience: 'https://o.example?x' }),
      ['routes[0].audience: must not include a query'],
    ],
    [
      'a public route with audience, scopes, scopes_any, claims and rate_limit',
      route({
        public: true,
        scopes: ['a'],
        scopes_any: ['b'],
        claims: { a: 'b' },
        rate_limit: { per_client: 1, window: '1s' },
      }),
      [
        'routes[0].audience: must not be set on a public route',
        'routes[0].scopes: must not be set on a public route',
        'routes[0].scopes_any: must not be set on a public route',
        'routes[0].claims: must not be set on a public route',
        'routes[0].rate_limit: must not be set on a public route (limits count per client)',
      ],
    ],
    ['a public that is not a boolean', route({ public: 'yes' }), ['routes[0].public: must be true or false']],
    [
      'a scope that is no RFC 6749 scope-token',
      route({ scopes: ['ok', 'has space', 'quote"'] }),
      [
        'routes[0].scopes[1]: must be an RFC 6749 scope token of at most 64 characters',
        'routes[0].scopes[2]: must be an RFC 6749 scope token of at most 64 characters',
      ],
    ],
    [
      'a scopes_any entry with a backslash',
      route({ scopes_any: ['a\\b'] }),
      ['routes[0].scopes_any[0]: must be an RFC 6749 scope token of at most 64 characters'],
    ],
    ['an empty scope', route({ scopes: [''] }), ['routes[0].scopes[0]: must not be empty']],
    ['scopes not a list', route({ scopes: 'a b' }), ['routes[0].scopes: must be a list']],
    // match
    ['a path without leading /', match({ path: 'orders' }), ['routes[0].match.path: must start with /']],
    [
      'a path with ..',
      match({ path: '/a/../b' }),
      ['routes[0].match.path: must not contain . or .. segments'],
    ],
    ['a path with .', match({ path: '/a/./b' }), ['routes[0].match.path: must not contain . or .. segments']],
    [
      'a path ending in ..',
      match({ path: '/a/..' }),
      ['routes[0].match.path: must not contain . or .. segments'],
    ],
    [
      'a path with %',
      match({ path: '/a%2Fb' }),
      ['routes[0].match.path: must not contain % (write the path decoded)'],
    ],
    ['a path with //', match({ path: '/a//b' }), ['routes[0].match.path: must not contain //']],
    [
      'a path with a query',
      match({ path: '/a?b' }),
      ["routes[0].match.path: may contain only letters, digits and -._~!$&'()*+,;=:@/"],
    ],
    [
      'a path with a space',
      match({ path: '/a b' }),
      ["routes[0].match.path: may contain only letters, digits and -._~!$&'()*+,;=:@/"],
    ],
    [
      'a * inside a segment',
      match({ path: '/orders*' }),
      ['routes[0].match.path: may use * only as the whole last segment, as in /orders/*'],
    ],
    [
      'a * before the last segment',
      match({ path: '/*/items' }),
      ['routes[0].match.path: may use * only as the whole last segment, as in /orders/*'],
    ],
    [
      'an unknown method',
      match({ methods: ['GET', 'TRACE'] }),
      ['routes[0].match.methods[1]: must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS'],
    ],
    ['no methods', match({ methods: [] }), ['routes[0].match.methods: must not be empty']],
    [
      'a method that is not a string',
      match({ methods: [1] }),
      ['routes[0].match.methods[0]: must be a string'],
    ],
    [
      'a non-boolean case_insensitive',
      match({ case_insensitive: 1 }),
      ['routes[0].match.case_insensitive: must be true or false'],
    ],
    // claims
    [
      'a claims key that is no field path',
      route({ claims: { 'items[0].price': 'pricing', 'a..b': 'pricing', '[]': 'x', 'a b': 'x' } }),
      [
        'routes[0].claims["items[0].price"]: is not a JSON field path such as items[].unit_price',
        'routes[0].claims["a..b"]: is not a JSON field path such as items[].unit_price',
        'routes[0].claims["[]"]: is not a JSON field path such as items[].unit_price',
        'routes[0].claims["a b"]: is not a JSON field path such as items[].unit_price',
      ],
    ],
    [
      'a claim category that is no category name',
      route({ claims: { price: 'Pricing!' } }),
      ['routes[0].claims.price: must be a claim category name (lower-case letters, digits and _.:-)'],
    ],
    [
      'a claim category that is a list',
      route({ claims: { price: ['a'] } }),
      ['routes[0].claims.price: must be a string'],
    ],
    ['claims as a list', route({ claims: ['price'] }), ['routes[0].claims: must be a mapping']],
    // rate_limit, timeout
    [
      'a rate_limit without window',
      route({ rate_limit: { per_client: 5 } }),
      ['routes[0].rate_limit.window: is required'],
    ],
    [
      'a rate_limit key misspelt',
      route({ rate_limit: { per_client: 5, window: '1s', burst: 2 } }),
      ['routes[0].rate_limit.burst: is not a known setting'],
    ],
    [
      'per_client 0',
      route({ rate_limit: { per_client: 0, window: '1s' } }),
      ['routes[0].rate_limit.per_client: must be at least 1'],
    ],
    [
      'per_client fractional',
      route({ rate_limit: { per_client: 1.5, window: '1s' } }),
      ['routes[0].rate_limit.per_client: must be a whole number'],
    ],
    [
      'window 0',
      route({ rate_limit: { per_client: 5, window: '0s' } }),
      ['routes[0].rate_limit.window: must be greater than 0'],
    ],
    [
      'window over a day',
      route({ rate_limit: { per_client: 5, window: '25h' } }),
      ['routes[0].rate_limit.window: must be at most 24h'],
    ],
    ['timeout 0', route({ timeout: 0 }), ['routes[0].timeout: must be greater than 0']],
    ['timeout over 10 minutes', route({ timeout: '11m' }), ['routes[0].timeout: must be at most 10m']],
    ['timeout 10m + 1ms', route({ timeout: 600_001 }), ['routes[0].timeout: must be at most 10m']],
    [
      'a bad duration',
      route({ timeout: '10 seconds' }),
      ['routes[0].timeout: must be a duration such as 500ms, 10s or 1m'],
    ],
    [
      'a duration below a millisecond',
      route({ timeout: '0.5ms' }),
      ['routes[0].timeout: must be a duration such as 500ms, 10s or 1m'],
    ],
    [
      'a fractional number of ms',
      route({ timeout: 1.5 }),
      ['routes[0].timeout: must be a duration such as 500ms, 10s or 1m'],
    ],
    [
      'a duration of the wrong type',
      route({ timeout: true }),
      ['routes[0].timeout: must be a duration such as 500ms, 10s or 1m'],
    ],
    [
      'an upper-case unit',
      route({ timeout: '10S' }),
      ['routes[0].timeout: must be a duration such as 500ms, 10s or 1m'],
    ],
    [
      'a non-boolean forward_token',
      route({ forward_token: 'no' }),
      ['routes[0].forward_token: must be true or false'],
    ],
  ])('refuses %s', (_case, text, expected) => {
    expect(problems(text)).toStrictEqual(expected);
  });

  it.each([
    [
      'duplicate route names',
      [ROUTE, { ...ROUTE, match: { path: '/a' } }, { ...ROUTE, match: { path: '/b' } }],
      [
        'routes[1].name: is already the name of routes[0]',
        'routes[2].name: is already the name of routes[0]',
      ],
    ],
    [
      'the same path with an overlapping method',
      [ROUTE, { ...ROUTE, name: 'two', match: { path: '/orders/*', methods: ['HEAD', 'POST'] } }],
      ['routes[1].match: same path as routes[0] for HEAD'],
    ],
    [
      'the same path in another case when one route ignores case',
      [ROUTE, { ...ROUTE, name: 'two', match: { path: '/ORDERS/*', case_insensitive: true } }],
      ['routes[1].match: same path as routes[0] for GET, HEAD'],
    ],
    [
      'the same path when methods differ only in case',
      [
        { ...ROUTE, match: { path: '/x', methods: ['post'] } },
        { ...ROUTE, name: 'two', match: { path: '/x', methods: ['POST'] } },
      ],
      ['routes[1].match: same path as routes[0] for POST'],
    ],
  ])('refuses %s', (_case, routes, expected) => {
    expect(problems(config({}, routes))).toStrictEqual(expected);
  });

  it.each([
    [
      'disjoint methods',
      [ROUTE, { ...ROUTE, name: 'two', match: { path: '/orders/*', methods: ['POST', 'DELETE'] } }],
    ],
    ['different case, both case-sensitive', [ROUTE, { ...ROUTE, name: 'two', match: { path: '/ORDERS/*' } }]],
    ['a prefix and an exact path', [ROUTE, { ...ROUTE, name: 'two', match: { path: '/orders' } }]],
  ])('accepts routes with %s', (_case, routes) => {
    expect(parseConfig(config({}, routes), {}).routes).toHaveLength(2);
  });

  it('lists every problem at once, settings first, then route by route', () => {
    const text = config({ issuer: 'nope', listen: { port: 'x' }, extra: 1 }, [
      { ...ROUTE, upstream: 'ftp://a', scope: ['x'] },
      { name: 'ok', match: { path: '/s', methods: ['GET', 'FETCH'] }, upstream: 'http://a', public: true },
      { ...ROUTE, name: 'orders', timeout: '1y' },
    ]);
    let error: unknown;
    try {
      parseConfig(text, {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GatewayConfigError);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('GatewayConfigError');
    expect((error as Error).message).toBe(
      [
        'Invalid gateway configuration:',
        '  extra: is not a known setting',
        '  listen.port: must be a whole number',
        '  issuer: must be an http(s) URL',
        '  routes[0].scope: is not a known setting',
        '  routes[0].upstream: must be an http(s) URL',
        '  routes[1].match.methods[1]: must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS',
        '  routes[2].timeout: must be a duration such as 500ms, 10s or 1m',
        '  routes[2].name: is already the name of routes[0]',
        '  routes[2].match: same path as routes[0] for GET, HEAD',
      ].join('\n'),
    );
  });

  it.each([
    [
      'an unclosed flow sequence',
      'issuer: x\nroutes: [1, 2\n',
      ['line 3, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]'],
    ],
    ['a duplicate key', 'issuer: a\nissuer: b\n', ['line 2, column 1: Map keys must be unique']],
    [
      'an unclosed quote (only the first problem: the rest follows from it)',
      'client: { id: "abc\n',
      ['line 2, column 1: Missing closing "quote'],
    ],
    [
      'a stray token, named by position and never quoted (it may be a secret)',
      'client: { id: gw, secret: ${S} }\n',
      [expect.stringMatching(/^line 1, column \d+: [^"]*$/)],
    ],
    ['a tab as indentation', 'routes:\n\t- a\n', ['line 2, column 1: Tabs are not allowed as indentation']],
    ['two documents', 'a: 1\n---\nb: 2\n', ['line 2, column 1: the file must hold a single YAML document']],
    ['an unknown tag', 'issuer: !secret x\n', ['line 1, column 9: Unresolved tag: !secret']],
  ])('names line and column of a YAML syntax error: %s', (_case, text, expected) => {
    expect(problems(text)).toStrictEqual(expected);
  });

  it('refuses an alias bomb', () => {
    let text = 'a: &a [x, x, x, x, x, x, x, x, x, x]\n';
    for (const [name, prev] of [
      ['b', 'a'],
      ['c', 'b'],
      ['d', 'c'],
      ['e', 'd'],
      ['f', 'e'],
    ])
      text += `${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]\n`;
    expect(problems(text)).toStrictEqual([
      '(root): Excessive alias count indicates a resource exhaustion attack',
    ]);
  });

  it.each([
    ['a schema problem', config({ client: { id: 'gw', secret: 'hunter2hunter2', x: 'hunter2hunter2' } })],
    ['a YAML syntax error', 'client: { id: gw, secret: hunter2hunter2: x }\n'],
    ['an unclosed quote', 'client: { id: gw, secret: "hunter2hunter2 }\n'],
    ['a bad upstream', route({ upstream: 'http://u:hunter2hunter2@x' })],
    ['a bad redis URL', config({ redis_url: 'http://:hunter2hunter2@x' })],
    ['a malformed reference', config({ client: { id: 'gw', secret: 'hunter2hunter2${ x}' } })],
    ['a bad character', config({ client: { id: 'gw', secret: 'hunter2hunter2\u00e9' } })],
  ])('never echoes a secret (%s)', (_case, text) => {
    let message = '';
    try {
      parseConfig(text, {});
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^Invalid gateway configuration/);
    expect(message).not.toContain('hunter2');
  });

  it('does not let a __proto__ key reach the prototype', () => {
    expect(problems('__proto__: { polluted: true }\n' + config())).toStrictEqual([
      '__proto__: is not a known setting',
    ]);
    const cfg = parseConfig(route({}).replace('audience:', 'claims: { __proto__: x }\n    audience:'), {});
    expect(Object.getPrototypeOf(cfg.routes[0].claims)).toBe(Object.prototype);
    expect(Object.keys(cfg.routes[0].claims)).toStrictEqual(['__proto__']);
  });
});

describe('loadConfig', () => {
  it('reads a file and names it in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gwconf-'));
    try {
      const file = join(dir, 'gateway.yaml');
      writeFileSync(file, SPEC_EXAMPLE);
      expect(loadConfig(file, env)).toStrictEqual(SPEC_RESULT);
      writeFileSync(file, config({ issuer: 'x' }));
      expect(() => loadConfig(file, {})).toThrow(
        new GatewayConfigError([{ path: 'issuer', message: 'must be an http(s) URL' }], file),
      );
      expect(() => loadConfig(file, {})).toThrow(`Invalid gateway configuration in ${file}:\n  issuer:`);
      expect(() => loadConfig(join(dir, 'missing.yaml'))).toThrow(
        `${join(dir, 'missing.yaml')}: cannot be read (ENOENT)`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('describeConfig', () => {
  it('summarises the listener and one line per route, without secrets', () => {
    const cfg = parseConfig(SPEC_EXAMPLE, { ...env, REDIS_URL: 'redis://:hunter2@cache:6379' });
    const summary = describeConfig(cfg);
    expect(summary).toBe(
      [
        'listening on 127.0.0.1:8080, issuer http://127.0.0.1:3000, client gw-client, fail closed, max body 8mb, rate limits redis redis://cache:6379',
        'route orders: GET,POST /orders/* -> http://127.0.0.1:9000 (audience https://orders.example; scopes orders:read; claims pricing; 50/1s per client; timeout 10s)',
        'route status: GET,HEAD /status -> http://127.0.0.1:9000 (public; timeout 30s)',
      ].join('\n'),
    );
    expect(summary).not.toContain('hunter2');
    expect(summary).not.toContain(env.SCOPEGATE_CLIENT_SECRET);
  });

  it('mentions fail open, any-of scopes, case, forwarding and memory counters', () => {
    const cfg = parseConfig(
      config({ fail_closed: false, max_body_bytes: 1000 }, [
        {
          ...ROUTE,
          match: { path: '/o', case_insensitive: true },
          scopes_any: ['a', 'b'],
          forward_token: true,
          timeout: 1500,
        },
      ]),
      {},
    );
    expect(describeConfig(cfg)).toBe(
      [
        'listening on 127.0.0.1:8080, issuer http://127.0.0.1:3000, client gw, fail open, max body 1000 bytes, rate limits in memory',
        'route orders: GET,HEAD /o (any case) -> http://127.0.0.1:9000 (audience https://orders.example; any of a b; timeout 1500ms; forwards token)',
      ].join('\n'),
    );
  });
});
