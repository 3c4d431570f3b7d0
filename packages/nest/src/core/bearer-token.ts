import { InvalidBearerRequestError } from './errors';

/** RFC 6750 §2.1 b64token */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
export const MAX_TOKEN_LENGTH = 8192;

/** What the rule reads of an HTTP request (any framework's request object fits). */
export interface BearerRequest {
  headers: { authorization?: string };
  query?: unknown;
}

/**
 * The access token from `Authorization: Bearer` (RFC 6750 §2.1). The query-string method is refused
 * (RFC 9700 §2.5 / RFC 6750 §2.3 "SHOULD NOT"), and so is sending a token two ways at once (§2).
 */
export function bearerTokenOf(req: BearerRequest): string | undefined {
  const query = req.query as Record<string, unknown> | undefined;
  if (query && 'access_token' in query) {
    throw new InvalidBearerRequestError(
      'Send the access token in the Authorization header, not the query string',
    );
  }
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  // Another scheme: no bearer credentials at all (RFC 6750 §3.1: no error code in the challenge).
  if (!/^Bearer(?: |$)/i.test(header)) return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (!match) return ''; // Bearer attempted, credentials malformed → invalid_token
  const token = match[1];
  if (token.length > MAX_TOKEN_LENGTH || !B64TOKEN.test(token)) return '';
  return token;
}
