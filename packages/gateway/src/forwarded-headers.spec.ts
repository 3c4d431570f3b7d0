import { describe, expect, it } from 'vitest';
import { forwardedHeaders, privateCacheControl } from './forwarded-headers';

const principal = {
  jti: 'j',
  sub: 'user-1',
  clientId: 'client-1',
  scopes: ['orders:read', 'orders:pricing'],
  exp: 0,
  aud: ['https://orders.example'],
};

describe('forwardedHeaders', () => {
  const base = { requestId: 'req-1', forwardToken: false, filtered: false, clientIp: '10.0.0.9' };

  it('strips forged identity headers in every spelling and sets the verified ones last', () => {
    const out = forwardedHeaders(
      {
        'x-scopegate-subject': 'admin',
        'X-Scopegate-Scope': 'everything',
        x_scopegate_client_id: 'evil',
        'x-scopegate_subject': 'evil',
        'x-scopegate-anything': '1',
        accept: 'application/json',
      },
      { ...base, principal },
    );
    expect(out).toEqual({
      accept: 'application/json',
      'x-forwarded-for': '10.0.0.9',
      'x-request-id': 'req-1',
      'x-scopegate-subject': 'user-1',
      'x-scopegate-client-id': 'client-1',
      'x-scopegate-scope': 'orders:read orders:pricing',
    });
  });

  it('drops URL/method overrides, hop-by-hop headers, and the token unless forwarded', () => {
    const incoming = {
      authorization: 'Bearer t',
      'x-original-url': '/admin',
      'x-rewrite-url': '/admin',
      'x-http-method-override': 'DELETE',
      'x-http-method': 'DELETE',
      'x-method-override': 'DELETE',
      'transfer-encoding': 'chunked',
      te: 'trailers',
      upgrade: 'websocket',
      'proxy-authorization': 'Basic x',
      'keep-alive': 'timeout=5',
      'x-request-id': 'caller-chosen',
      expect: '100-continue',
    };
    expect(Object.keys(forwardedHeaders(incoming, base)).sort()).toEqual(['x-forwarded-for', 'x-request-id']);
    expect(forwardedHeaders(incoming, base)['x-request-id']).toBe('req-1');
    expect(forwardedHeaders(incoming, { ...base, forwardToken: true }).authorization).toBe('Bearer t');
  });

  it('on a filtered route, removes range and conditional headers', () => {
    const out = forwardedHeaders(
      {
        range: 'bytes=0-10',
        'if-range': 'x',
        'if-none-match': '"e"',
        'if-modified-since': 'x',
        accept: '*/*',
      },
      { ...base, filtered: true },
    );
    expect(Object.keys(out).sort()).toEqual(['accept', 'x-forwarded-for', 'x-request-id']);
    expect(forwardedHeaders({ range: 'bytes=0-10' }, base).range).toBe('bytes=0-10');
  });

  it('appends to a well-formed X-Forwarded-For and replaces a malformed one', () => {
    expect(forwardedHeaders({ 'x-forwarded-for': '1.2.3.4' }, base)['x-forwarded-for']).toBe(
      '1.2.3.4, 10.0.0.9',
    );
    expect(forwardedHeaders({ 'x-forwarded-for': 'evil\r\nx: y' }, base)['x-forwarded-for']).toBe('10.0.0.9');
  });
});

describe('privateCacheControl (RFC 9111 §5.2.2.7)', () => {
  it.each([
    ['', 'private'],
    ['max-age=60', 'private, max-age=60'],
    ['public, max-age=60, s-maxage=600', 'private, max-age=60'],
    ['PUBLIC,S-MAXAGE=5,proxy-revalidate,must-revalidate', 'private, must-revalidate'],
    ['private', 'private'],
    ['no-store', 'private, no-store'],
    // Qualified `private` leaves the rest of the response to shared caches: made unqualified.
    ['private="set-cookie, x-a", max-age=5', 'private, max-age=5'],
    ['no-cache="set-cookie, public", max-age=5', 'private, no-cache="set-cookie, public", max-age=5'],
    [' , ,max-age=1 , ', 'private, max-age=1'],
  ])('%j → %j', (upstream, sent) => {
    expect(privateCacheControl(upstream)).toBe(sent);
  });
});
