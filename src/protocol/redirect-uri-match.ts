/** RFC 8252 §7.3 loopback IP literal (not `localhost`, §8.3) with an optional port. */
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?([/?][^#]*)?$/;

/**
 * Whether `requested` is one of the client's registered redirect URIs (RFC 9700 §2.1, RFC 6749
 * §3.1.2.3): exact string comparison, no normalisation — case, trailing slash, query, percent-encoding
 * and dot segments all count. The one exception is RFC 8252 §7.3: for a registered loopback IP URI
 * (`http://127.0.0.1` or `http://[::1]`) a native app may pick any port at request time; everything
 * else must still match exactly.
 */
export function redirectUriMatches(registered: readonly string[], requested: string): boolean {
  if (requested.length > 2000) return false;
  if (registered.includes(requested)) return true;
  const loose = withoutLoopbackPort(requested);
  return loose !== undefined && registered.some((r) => withoutLoopbackPort(r) === loose);
}

function withoutLoopbackPort(uri: string): string | undefined {
  const m = LOOPBACK.exec(uri);
  if (!m) return undefined;
  if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)) return undefined;
  return `http://${m[1]}${m[3] ?? ''}`;
}
