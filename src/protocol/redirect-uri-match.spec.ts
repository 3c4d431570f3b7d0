import { describe, expect, it } from 'vitest';
import { redirectUriMatches } from './redirect-uri-match';

const REGISTERED = [
  'https://app.example.com/callback',
  'https://app.example.com/cb?tenant=1',
  'http://127.0.0.1:8080/callback',
  'http://localhost:8080/callback',
  'com.example.app:/oauth',
];

describe('redirectUriMatches (RFC 9700 §2.1 exact match, RFC 8252 §7.3 loopback port)', () => {
  it.each([
    ['identical https URI', 'https://app.example.com/callback', true],
    ['trailing slash added', 'https://app.example.com/callback/', false],
    ['path case differs', 'https://app.example.com/Callback', false],
    ['host case differs', 'https://APP.example.com/callback', false],
    ['extra query parameter', 'https://app.example.com/callback?x=1', false],
    ['registered query kept exactly', 'https://app.example.com/cb?tenant=1', true],
    ['registered query changed', 'https://app.example.com/cb?tenant=2', false],
    ['fragment added', 'https://app.example.com/callback#x', false],
    ['userinfo@host', 'https://app.example.com@evil.example/callback', false],
    ['userinfo before the host', 'https://user@app.example.com/callback', false],
    ['path traversal', 'https://app.example.com/callback/../evil', false],
    ['encoded path traversal', 'https://app.example.com/callback/%2e%2e/evil', false],
    ['http instead of https', 'http://app.example.com/callback', false],
    ['explicit default port', 'https://app.example.com:443/callback', false],
    ['other host', 'https://evil.example/callback', false],
    ['prefix of a registered URI', 'https://app.example.com/call', false],
    ['loopback IP, other port', 'http://127.0.0.1:53219/callback', true],
    ['loopback IP, no port', 'http://127.0.0.1/callback', true],
    ['loopback IP, other path', 'http://127.0.0.1:53219/other', false],
    ['loopback IP, path traversal', 'http://127.0.0.1:8080/callback/../x', false],
    ['loopback IP, https', 'https://127.0.0.1:8080/callback', false],
    ['loopback IP, port out of range', 'http://127.0.0.1:99999/callback', false],
    ['localhost name: exact port only', 'http://localhost:8080/callback', true],
    ['localhost name, other port', 'http://localhost:9999/callback', false],
    ['private-use scheme', 'com.example.app:/oauth', true],
    ['private-use scheme, other path', 'com.example.app:/oauth2', false],
    ['empty', '', false],
  ])('%s', (_name, uri, expected) => {
    expect(redirectUriMatches(REGISTERED, uri)).toBe(expected);
  });
});
