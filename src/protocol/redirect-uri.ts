/**
 * Registration-time checks of a redirect URI (RFC 6749 §3.1.2, RFC 9700 §2.1, §4.1): absolute, no
 * fragment, no user-info, https — or http only for loopback hosts (native apps, RFC 8252 §7.3).
 * Returns the problem, or undefined when the URI is acceptable.
 */
export function validateRedirectUri(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute URI';
  }
  if (uri.includes('#')) return 'must not contain a fragment';
  if (url.username || url.password) return 'must not contain user information';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:') {
    return ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)
      ? undefined
      : 'http is allowed only for loopback hosts';
  }
  if (/^(javascript|data|file|vbscript):$/i.test(url.protocol))
    return `scheme ${url.protocol} is not allowed`;
  // Private-use URI schemes of native apps (RFC 8252 §7.1) must contain a period.
  return url.protocol.includes('.')
    ? undefined
    : 'a private-use scheme must be a reverse domain name (RFC 8252 §7.1)';
}
