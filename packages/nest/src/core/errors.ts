/**
 * Protocol errors, one class per RFC error code. `description` is public (sent as
 * `error_description`); `detail` is private: it goes to the log and the audit event, never to the
 * caller. Framework-independent: the Nest layer renders them with its exception filter, and an
 * authorization server can extend OAuthError with its own codes (RFC 6749 §5.2).
 */
export abstract class OAuthError extends Error {
  abstract readonly error: string;
  readonly status: number = 400;
  /** Extra response headers (RFC 6749 §5.2 WWW-Authenticate, RFC 6750 §3, Retry-After). */
  headers: Record<string, string> = {};

  constructor(
    readonly description: string,
    readonly detail?: string,
  ) {
    super(description);
  }

  toJSON(): Record<string, string> {
    return { error: this.error, error_description: this.description };
  }
}

/**
 * RFC 6749 §4.1.2.1 / §5.2 temporarily_unavailable, used for every "ask again shortly" answer:
 * 503 with `Retry-After` when a dependency (a database, the authorization server) is briefly away.
 */
export class TemporarilyUnavailableError extends OAuthError {
  readonly error = 'temporarily_unavailable';
  override readonly status = 503;
  constructor(
    retryAfterSeconds: number,
    description = 'The service is temporarily unavailable; retry later',
    detail?: string,
  ) {
    super(description, detail);
    this.headers['Retry-After'] = String(retryAfterSeconds);
  }
}

/** The realm in every Bearer challenge (RFC 6750 §3). */
export const BEARER_REALM = 'scopegate';

const quote = (v: string) => v.replace(/[\\"]/g, '\\$&').replace(/[^\x20-\x7e]/g, '');

/** RFC 6750 §3: errors of protected resources carry their details in `WWW-Authenticate: Bearer`. */
export abstract class BearerError extends OAuthError {
  protected setChallenge(extra: Record<string, string> = {}): void {
    const params: Record<string, string> = {
      realm: BEARER_REALM,
      error: this.error,
      error_description: this.description,
      ...extra,
    };
    this.headers['WWW-Authenticate'] =
      'Bearer ' +
      Object.entries(params)
        .map(([k, v]) => `${k}="${quote(v)}"`)
        .join(', ');
  }
}

/** RFC 6750 §3.1: the token is missing, expired, revoked, malformed or invalid. */
export class InvalidTokenError extends BearerError {
  readonly error = 'invalid_token';
  override readonly status = 401;
  constructor(description: string, detail?: string) {
    super(description, detail);
    this.setChallenge();
  }
}

/**
 * RFC 6750 §3.1: no credentials at all. The challenge carries no error code ("SHOULD NOT include an
 * error code"), the body still explains.
 */
export class MissingTokenError extends BearerError {
  readonly error = 'invalid_token';
  override readonly status = 401;
  constructor() {
    super('A bearer access token is required (Authorization: Bearer <token>)');
    this.headers['WWW-Authenticate'] = `Bearer realm="${BEARER_REALM}"`;
  }
}

/** RFC 6750 §3.1: 403 naming the scope the request needs. */
export class InsufficientScopeError extends BearerError {
  readonly error = 'insufficient_scope';
  override readonly status = 403;
  constructor(
    readonly requiredScopes: string[],
    description = `This request requires the scope ${requiredScopes.join(' ')}`,
  ) {
    super(description);
    this.setChallenge({ scope: requiredScopes.join(' ') });
  }
}

/** RFC 6750 §3.1 invalid_request on a protected resource (e.g. two token transmission methods). */
export class InvalidBearerRequestError extends BearerError {
  readonly error = 'invalid_request';
  constructor(description: string) {
    super(description);
    this.setChallenge();
  }
}
