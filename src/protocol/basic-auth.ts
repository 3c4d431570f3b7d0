/** The two halves of an HTTP Basic credential: user-id (or client id) and password (or secret). */
export interface BasicCredentials {
  id: string;
  secret: string;
}

/** A Basic header that cannot be read, and why (for the audit log, never for the client). */
export interface MalformedBasic {
  malformed: string;
}

export type BasicParseResult = BasicCredentials | MalformedBasic;

/**
 * How the id and secret are encoded inside the base64: RFC 6749 §2.3.1 form-urlencodes them
 * (clients at the token endpoint); RFC 7617 §2 sends them as they are (browsers, curl, gateways).
 */
export type BasicEncoding = 'form-urlencoded' | 'raw';

const BASIC = /^Basic +([A-Za-z0-9+/]+=*) *$/i;
const BASIC_SCHEME = /^Basic\b/i;

/** `application/x-www-form-urlencoded` decoding of one value (RFC 6749 Appendix B). */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/**
 * Reads an `Authorization: Basic` header. Undefined when there is no header or it is another scheme;
 * `{ malformed }` when it is Basic but not base64 of `id:secret` in the given encoding, or when the id
 * or secret holds a NUL (RFC 7617 §2 forbids control characters; no stored id can hold one).
 */
export function parseBasic(
  header: string | undefined,
  encoding: BasicEncoding,
): BasicParseResult | undefined {
  if (!header) return undefined;
  const m = BASIC.exec(header);
  if (!m) return BASIC_SCHEME.test(header) ? { malformed: 'basic header not base64' } : undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { malformed: 'no colon' };
  let creds: BasicCredentials = { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  if (encoding === 'form-urlencoded') {
    try {
      creds = { id: formDecode(creds.id), secret: formDecode(creds.secret) };
    } catch {
      return { malformed: 'bad percent-encoding' };
    }
  }
  if (creds.id.includes('\u0000') || creds.secret.includes('\u0000')) return { malformed: 'NUL character' };
  return creds;
}

export function isMalformed(result: BasicParseResult | undefined): result is MalformedBasic {
  return result !== undefined && 'malformed' in result;
}
