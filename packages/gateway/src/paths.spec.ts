import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RouteMatch } from './config.types';
import { MAX_PATH_LENGTH, compileRoutes, normaliseTarget, upstreamUrl } from './paths';

const ok = (path: string, search = '') => ({ path, search });

describe('normaliseTarget', () => {
  it.each([
    ['/', ok('/')],
    ['/orders', ok('/orders')],
    ['/orders/', ok('/orders/')],
    ['/orders/12/lines?x=1&y=%zz', ok('/orders/12/lines', '?x=1&y=%zz')],
    ['/orders?', ok('/orders', '?')],
    ['/a?b?c/../d', ok('/a', '?b?c/../d')],
    ['//orders', ok('/orders')],
    ['///orders//12///', ok('/orders/12/')],
    ['/a/./b', ok('/a/b')],
    ['/a/b/.', ok('/a/b/')],
    ['/a/b/..', ok('/a/')],
    ['/a/..', ok('/')],
    ['/.', ok('/')],
    ['/a/b/../../c', ok('/c')],
    ['/a//../b', ok('/b')],
    ['/orders/../admin', ok('/admin')],
    ['/orders/%2e%2e/admin', ok('/admin')],
    ['/orders/.%2e/x', ok('/x')],
    ['/orders/%2E/x', ok('/orders/x')],
    ['/%6frders/1', ok('/orders/1')],
    ['/%41%5a%61%7a%30%39%2D%2E%5F%7E', ok('/AZaz09-._~')],
    ['/ORDERS/1', ok('/ORDERS/1')],
    ['/orders;x/1', ok('/orders;x/1')],
    ["/a:b@c!$&'()*+,;=", ok("/a:b@c!$&'()*+,;=")],
    ['/ördérs', ok('/%C3%B6rd%C3%A9rs')],
    ['/%c3%b6rd%c3%a9rs', ok('/%C3%B6rd%C3%A9rs')],
    ['/€/😀', ok('/%E2%82%AC/%F0%9F%98%80')],
    ['/a b"<>[]^`{|}', ok('/a%20b%22%3C%3E%5B%5D%5E%60%7B%7C%7D')],
    ['/%3a%3b%25%20%3F%23', ok('/%3A%3B%25%20%3F%23')],
    ['/..a/a../...', ok('/..a/a../...')],
  ])('%s → %o', (raw, expected) => {
    expect(normaliseTarget(raw)).toEqual(expected);
  });

  it.each([
    ['', 'empty'],
    ['*', 'asterisk-form'],
    ['http://host/x', 'absolute-form'],
    ['host:443', 'authority-form'],
    ['orders/1', 'relative'],
    ['/a#frag', 'fragment'],
    ['/a?b#frag', 'fragment in the query'],
    ['/orders/%2E%2E%2Fadmin', 'encoded slash'],
    ['/orders/..%2fadmin', 'encoded slash, lower case'],
    ['/orders%2F1', 'encoded slash alone'],
    ['/orders/..%5cadmin', 'encoded backslash'],
    ['/orders/..%5Cadmin', 'encoded backslash, upper case'],
    ['/orders\\..\\admin', 'raw backslash'],
    ['/a%00b', 'encoded NUL'],
    ['/a%0Ab', 'encoded LF'],
    ['/a%1fb', 'encoded control'],
    ['/a%7Fb', 'encoded DEL'],
    ['/a\u0000b', 'raw NUL'],
    ['/a\nb', 'raw LF'],
    ['/a\u007fb', 'raw DEL'],
    ['/a%zz', 'invalid percent-encoding'],
    ['/a%4', 'truncated percent-encoding'],
    ['/a%', 'lone percent'],
    ['/a%4g', 'non-hex digit'],
    ['/..', 'dot-dot above the root'],
    ['/a/../..', 'dot-dot above the root, later'],
    ['/a/../../etc/passwd', 'climbing out'],
    ['/%2e%2e/x', 'encoded dot-dot above the root'],
    ['/orders/..;/admin', 'dot-dot with parameters (servlet containers strip them)'],
    ['/orders/.;x/admin', 'dot with parameters'],
    ['/orders/%2e%2e;/admin', 'encoded dot-dot with parameters'],
    ['/orders/%C0%AE%C0%AE/admin', 'overlong UTF-8 dot'],
    ['/%C0%AE', 'overlong UTF-8 dot alone'],
    ['/%ED%A0%80', 'encoded surrogate'],
    ['/%C3', 'truncated UTF-8'],
    ['/%B6', 'lone continuation byte'],
    ['/ö%B6', 'raw character followed by a stray encoded byte'],
    ['/\ud800', 'lone surrogate'],
    ['/a?b c', 'space in the query'],
    ['/a?b\u0001', 'control in the query'],
    ['/a?ö', 'non-ASCII in the query'],
    ['/' + 'a'.repeat(MAX_PATH_LENGTH), 'path above 8 KiB'],
    ['/' + 'ö'.repeat(MAX_PATH_LENGTH / 4), 'path above 8 KiB once encoded'],
  ])('%j is an error (%s)', (raw) => {
    expect(normaliseTarget(raw)).toEqual({ error: expect.any(String) });
  });

  it('accepts a path of exactly 8 KiB and a longer query', () => {
    const path = '/' + 'a'.repeat(MAX_PATH_LENGTH - 1);
    expect(normaliseTarget(path + '?' + 'q'.repeat(MAX_PATH_LENGTH))).toEqual(
      ok(path, '?' + 'q'.repeat(MAX_PATH_LENGTH)),
    );
  });
});

const route = (name: string, path: string, methods = ['GET', 'HEAD'], caseInsensitive = false) => ({
  name,
  match: { path, methods, caseInsensitive } satisfies RouteMatch,
});

describe('compileRoutes', () => {
  const routes = [
    route('orders', '/orders/*', ['GET', 'POST']),
    route('order-admin', '/orders/admin/*', ['DELETE']),
    route('orders-exact', '/orders', ['PUT']),
    route('status', '/status'),
    route('slash', '/dir/'),
    route('files', '/Files/*', ['GET'], true),
    route('root', '/'),
  ];
  const matcher = compileRoutes(routes);
  const byName = (name: string) => routes.find((r) => r.name === name);

  it.each([
    ['GET', '/orders/12/lines', 'orders', '/12/lines'],
    ['GET', '/orders/', 'orders', '/'],
    ['POST', '/orders/1', 'orders', '/1'],
    ['PUT', '/orders', 'orders-exact', ''],
    ['DELETE', '/orders/admin', 'order-admin', ''],
    ['DELETE', '/orders/admin/x/y', 'order-admin', '/x/y'],
    ['GET', '/orders/administrator', 'orders', '/administrator'],
    ['GET', '/status', 'status', ''],
    ['HEAD', '/status', 'status', ''],
    ['GET', '/dir/', 'slash', ''],
    ['GET', '/files/a.txt', 'files', '/a.txt'],
    ['GET', '/FILES/A.TXT', 'files', '/A.TXT'],
    ['GET', '/fIlEs', 'files', ''],
    ['GET', '/', 'root', ''],
  ])('%s %s → %s (rest %j)', (method, path, name, rest) => {
    expect(matcher.match(method, path)).toEqual({ route: byName(name), rest });
  });

  it.each([
    ['/ordersX'],
    ['/orders-archive'],
    ['/orders;x/1'],
    ['/ORDERS/1'],
    ['/Orders'],
    ['/status/'],
    ['/status/x'],
    ['/Status'],
    ['/dir'],
    ['/filesx'],
    ['/%C3%B6rders'],
    ['/nothing'],
  ])('GET %s → not_found', (path) => {
    expect(matcher.match('GET', path)).toEqual({ error: 'not_found' });
  });

  it.each([
    ['DELETE', '/orders/1', ['GET', 'POST']],
    ['HEAD', '/orders/1', ['GET', 'POST']],
    ['GET', '/orders', ['PUT']],
    ['GET', '/orders/admin/1', ['DELETE']],
    ['POST', '/status', ['GET', 'HEAD']],
    ['get', '/status', ['GET', 'HEAD']],
  ])('%s %s → method_not_allowed %o', (method, path, allowed) => {
    expect(matcher.match(method, path)).toEqual({ error: 'method_not_allowed', allowed });
  });

  it('splits one path between routes by method; the Allow list is their union', () => {
    const split = [
      route('read', '/orders/*', ['GET', 'HEAD']),
      route('write', '/orders/*', ['POST', 'PATCH']),
    ];
    const m = compileRoutes(split);
    expect(m.match('GET', '/orders/1')).toEqual({ route: split[0], rest: '/1' });
    expect(m.match('POST', '/orders/1')).toEqual({ route: split[1], rest: '/1' });
    expect(m.match('PUT', '/orders/1')).toEqual({
      error: 'method_not_allowed',
      allowed: ['GET', 'HEAD', 'POST', 'PATCH'],
    });
  });

  it('prefers a case-sensitive match to an equally long case-insensitive one', () => {
    const both = [route('any-case', '/a/*', ['GET'], true), route('exact-case', '/a/*', ['POST'])];
    const m = compileRoutes(both);
    expect(m.match('POST', '/a/1')).toEqual({ route: both[1], rest: '/1' });
    expect(m.match('GET', '/a/1')).toEqual({ error: 'method_not_allowed', allowed: ['POST'] });
    expect(m.match('GET', '/A/1')).toEqual({ route: both[0], rest: '/1' });
  });

  it('a catch-all /* matches every path but loses to anything more specific', () => {
    const all = [route('all', '/*'), route('status', '/status')];
    const m = compileRoutes(all);
    expect(m.match('GET', '/')).toEqual({ route: all[0], rest: '/' });
    expect(m.match('GET', '/x/y')).toEqual({ route: all[0], rest: '/x/y' });
    expect(m.match('GET', '/status')).toEqual({ route: all[1], rest: '' });
  });

  it('compiles patterns to their canonical encoding', () => {
    const m = compileRoutes([route('u', '/ördérs/*'), route('e', '/%6frders/%c3%a9')]);
    expect(m.match('GET', '/%C3%B6rd%C3%A9rs/1')).toMatchObject({ rest: '/1' });
    expect(m.match('GET', '/orders/%C3%A9')).toMatchObject({ rest: '' });
  });

  it.each([
    ['orders/*', /routes\[0\]\.match\.path/],
    ['', /routes\[0\]\.match\.path/],
    ['/orders*', /routes\[0\]\.match\.path/],
    ['/*/x', /routes\[0\]\.match\.path/],
    ['/a/../b', /routes\[0\]\.match\.path/],
    ['/a/./b', /routes\[0\]\.match\.path/],
    ['/a/%2e%2e/*', /routes\[0\]\.match\.path/],
    ['/a//b', /routes\[0\]\.match\.path/],
    ['//*', /routes\[0\]\.match\.path/],
    ['/a//*', /routes\[0\]\.match\.path/],
    ['/a%2Fb', /routes\[0\]\.match\.path/],
    ['/a?x=1', /routes\[0\]\.match\.path/],
    ['/a#x', /routes\[0\]\.match\.path/],
    ['/..;/x', /routes\[0\]\.match\.path/],
  ])('refuses the pattern %j', (path, message) => {
    expect(() => compileRoutes([route('bad', path)])).toThrow(message);
  });

  it('refuses a route without methods and a route another one hides', () => {
    expect(() => compileRoutes([route('none', '/a', [])])).toThrow(/routes\[0\]\.match\.methods/);
    expect(() => compileRoutes([route('a', '/a/*', ['GET']), route('b', '/a/*', ['POST', 'GET'])])).toThrow(
      /routes\[1\]\.match.*routes\[0\]/,
    );
    expect(() =>
      compileRoutes([route('a', '/A/*', ['GET'], true), route('b', '/a/*', ['GET'], true)]),
    ).toThrow(/routes\[1\]\.match/);
  });

  it.each([
    ['/orders/../admin', { error: 'not_found' }],
    ['/orders/%2e%2e/admin', { error: 'not_found' }],
    ['/orders/.%2e/x', { error: 'not_found' }],
    ['/%6frders/1', { route: routes[0], rest: '/1' }],
    ['//orders', { route: routes[2], rest: '' }],
    ['/orders/%2E%2E%2Fadmin', 'error'],
    ['/orders/..%2fadmin', 'error'],
    ['/orders/%C0%AE%C0%AE/admin', 'error'],
  ])('attack %s, normalised then matched → %o', (raw, expected) => {
    const target = normaliseTarget(raw);
    if (expected === 'error') {
      expect(target).toHaveProperty('error');
      return;
    }
    if ('error' in target) throw new Error(`unexpected ${target.error}`);
    expect(matcher.match(raw === '//orders' ? 'PUT' : 'GET', target.path)).toEqual(expected);
  });
});

describe('upstreamUrl', () => {
  it.each([
    ['http://u:9000/api', '/orders/1', '', 'http://u:9000/api/orders/1'],
    ['http://u:9000/api/', '/orders/1', '?a=1', 'http://u:9000/api/orders/1?a=1'],
    ['http://u:9000', '/orders/1', '', 'http://u:9000/orders/1'],
    ['http://u:9000/', '/', '?', 'http://u:9000/?'],
    ['https://U.example:443/v1//', '/x/', '', 'https://u.example/v1/x/'],
    ['http://u/a/../api', '/x', '', 'http://u/api/x'],
    ['http://[::1]:9000/api', '/%C3%B6', '', 'http://[::1]:9000/api/%C3%B6'],
  ])('%s + %s%s → %s', (base, path, search, expected) => {
    expect(upstreamUrl(base, path, search)).toBe(expected);
  });

  it.each([
    ['http://u/api', '/../x', ''],
    ['http://u/api', '/a/../x', ''],
    ['http://u/api', '//x', ''],
    ['http://u/api', 'x', ''],
    ['http://u/api', '', ''],
    ['http://u/api', '/%2e%2e/x', ''],
    ['http://u/api', '/x', 'a=1'],
    ['http://u/api', '/x', '?a#b'],
    ['ftp://u/api', '/x', ''],
    ['not a url', '/x', ''],
    ['http://user:pw@u/api', '/x', ''],
    ['http://u/api?k=v', '/x', ''],
    ['http://u/api#f', '/x', ''],
  ])('refuses %s + %j%j', (base, path, search) => {
    expect(() => upstreamUrl(base, path, search)).toThrow();
  });
});

// Strings made of the pieces attacks are built from, so that the properties meet them often.
const piece = fc.constantFrom(
  '/',
  '//',
  '.',
  '..',
  '%2e',
  '%2E',
  '%2f',
  '%2F',
  '%5c',
  '\\',
  '%',
  '%0',
  '%00',
  '%25',
  '%41',
  '%6f',
  '%C0%AE',
  '%C3%B6',
  'ö',
  '😀',
  ';',
  '?',
  '#',
  ' ',
  'orders',
  'ORDERS',
  'Orders',
  'admin',
  'a',
);
const hostileTarget = fc.oneof(
  fc.array(piece, { maxLength: 12 }).map((parts) => parts.join('')),
  fc.array(piece, { maxLength: 12 }).map((parts) => '/' + parts.join('')),
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => '/' + s),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const isError = (r: object): r is { error: string } => 'error' in r;

describe('properties', () => {
  it('never throws, and a normalised path is canonical, dot-free and a fixed point', () => {
    fc.assert(
      fc.property(hostileTarget, (raw) => {
        const r = normaliseTarget(raw);
        if (isError(r)) {
          expect(typeof r.error).toBe('string');
          return;
        }
        expect(r.path.startsWith('/')).toBe(true);
        expect(r.path).not.toContain('//');
        expect(r.path).not.toMatch(/%(2F|5C|2E)/i);
        expect(r.path).not.toMatch(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/);
        expect(r.path).not.toMatch(/%[0-9A-F]?[a-f]/);
        expect(r.path.split('/')).not.toContain('.');
        expect(r.path.split('/')).not.toContain('..');
        expect(r.path.length).toBeLessThanOrEqual(MAX_PATH_LENGTH);
        expect(normaliseTarget(r.path + r.search)).toEqual(r);
        // A WHATWG URL parser (what upstreams and HTTP clients use) sees the very same path.
        expect(new URL('http://upstream' + r.path).pathname).toBe(r.path);
      }),
      { numRuns: 5000 },
    );
  });

  it('no target leaves the prefix of the route it matches', () => {
    const sensitive = compileRoutes([route('orders', '/orders/*', ['GET'])]);
    const insensitive = compileRoutes([route('orders', '/orders/*', ['GET'], true)]);
    fc.assert(
      fc.property(hostileTarget, (raw) => {
        const r = normaliseTarget(raw);
        if (isError(r)) return;
        const m = sensitive.match('GET', r.path);
        if (!isError(m)) expect(r.path === '/orders' || r.path.startsWith('/orders/')).toBe(true);
        const mi = insensitive.match('GET', r.path);
        if (!isError(mi)) expect(/^\/orders(\/|$)/i.test(r.path)).toBe(true);
        if (!isError(m) || !isError(mi)) {
          const url = new URL(upstreamUrl('http://u:9000/api', r.path, r.search));
          expect(url.pathname).toMatch(/^\/api\/orders(\/|$)/i);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
