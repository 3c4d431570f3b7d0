import { basicAuthorization, IssuerRefusedError, requestJson, type IssuerConnection } from './remote';

/** RFC 8414 §2 fields a resource server uses. */
export interface IssuerMetadata {
  issuer: string;
  jwks_uri: string;
  token_endpoint: string;
  introspection_endpoint?: string;
}

/** The scope a resource server's own client needs for the feed, the catalog and usage reports. */
export const RESOURCE_SERVER_SCOPE = 'scopegate:resource-server';

/** Refresh the resource server's own token this long before it expires. */
const TOKEN_EARLY_REFRESH_MS = 30_000;

/**
 * The resource server's side of the conversation with the authorization server: its metadata (RFC
 * 8414), and an access token of its own (client credentials, RFC 6749 §4.4) for the feed, the claims
 * catalog and usage reports, renewed before it expires.
 */
export class IssuerClient {
  private metadata?: IssuerMetadata;
  private token?: { value: string; expiresAtMs: number };
  private pendingToken?: Promise<string>;

  constructor(readonly conn: IssuerConnection) {}

  /** RFC 8414 §3: metadata from the well-known URI; the `issuer` inside must be ours exactly (§3.3). */
  async getMetadata(): Promise<IssuerMetadata> {
    if (this.metadata) return this.metadata;
    const issuer = this.conn.issuer.replace(/\/$/, '');
    const u = new URL(issuer);
    // RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path.
    const url = `${u.origin}/.well-known/oauth-authorization-server${u.pathname === '/' ? '' : u.pathname}`;
    const m = await requestJson<Partial<IssuerMetadata>>(this.conn, url);
    if (m.issuer !== issuer && m.issuer !== this.conn.issuer)
      throw new IssuerRefusedError(url, 200, 'invalid_metadata', `issuer is ${JSON.stringify(m.issuer)}`);
    if (typeof m.jwks_uri !== 'string' || typeof m.token_endpoint !== 'string')
      throw new IssuerRefusedError(url, 200, 'invalid_metadata', 'jwks_uri or token_endpoint missing');
    this.metadata = m as IssuerMetadata;
    return this.metadata;
  }

  /** An access token of this resource server's client, renewed ahead of expiry; one request at a time. */
  async accessToken(): Promise<string> {
    if (this.token && this.token.expiresAtMs - TOKEN_EARLY_REFRESH_MS > Date.now()) return this.token.value;
    this.pendingToken ??= this.fetchToken().finally(() => (this.pendingToken = undefined));
    return this.pendingToken;
  }

  /** Forget the token (the authorization server refused it: revoked, or its key was rotated out). */
  dropToken(): void {
    this.token = undefined;
  }

  private async fetchToken(): Promise<string> {
    const { token_endpoint } = await this.getMetadata();
    const body = await requestJson<{ access_token?: unknown; expires_in?: unknown }>(
      this.conn,
      token_endpoint,
      {
        method: 'POST',
        headers: {
          authorization: basicAuthorization(this.conn.clientId, this.conn.clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: RESOURCE_SERVER_SCOPE }),
      },
    );
    if (typeof body.access_token !== 'string')
      throw new IssuerRefusedError(token_endpoint, 200, 'invalid_response', 'no access_token');
    const ttl = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 300;
    this.token = { value: body.access_token, expiresAtMs: Date.now() + ttl * 1000 };
    return body.access_token;
  }

  /** A request with this resource server's token; a refused token is renewed and the request retried once. */
  async authorized<T>(url: string, init: RequestInit = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken();
      try {
        return await requestJson<T>(this.conn, url, {
          ...init,
          headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` },
        });
      } catch (err) {
        if (attempt === 0 && err instanceof IssuerRefusedError && err.status === 401) {
          this.dropToken();
          continue;
        }
        throw err;
      }
    }
  }
}
