/**
 * One class per RFC error code. `description` is public (sent as `error_description`); `detail` is
 * private: it goes to the log and the audit event, never to the client.
 */
export abstract class OAuthError extends Error {
  abstract readonly error: string;
  readonly status: number = 400;
  /** Extra response headers (RFC 6749 §5.2 WWW-Authenticate, RFC 6750 §3). */
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

/** RFC 6749 §5.2 */
export class InvalidRequestError extends OAuthError {
  readonly error = 'invalid_request';
}

/**
 * RFC 6749 §5.2: 401, with `WWW-Authenticate` naming the scheme the client tried. We always send
 * the header so that clients learn the expected scheme even when they sent no credentials.
 */
export class InvalidClientError extends OAuthError {
  readonly error = 'invalid_client';
  override readonly status = 401;
  constructor(description: string, detail?: string, scheme: 'Basic' | 'none' = 'Basic') {
    super(description, detail);
    if (scheme === 'Basic') this.headers['WWW-Authenticate'] = 'Basic realm="scopegate", charset="UTF-8"';
  }
}

/**
 * Too many failed client authentications from this address or for this client: 429 (RFC 6585 §4) with
 * `Retry-After`, the body in the RFC 6749 §5.2 shape with `invalid_client` (§5.2 has no code of its
 * own for this). Answered without evaluating the presented credentials.
 */
export class ClientAuthThrottledError extends OAuthError {
  readonly error = 'invalid_client';
  override readonly status = 429;
  constructor(retryAfterSeconds: number, detail?: string) {
    super('Too many failed client authentication attempts; try again later', detail);
    this.headers['Retry-After'] = String(retryAfterSeconds);
  }
}

export class InvalidGrantError extends OAuthError {
  readonly error = 'invalid_grant';
}

export class UnauthorizedClientError extends OAuthError {
  readonly error = 'unauthorized_client';
}

export class UnsupportedGrantTypeError extends OAuthError {
  readonly error = 'unsupported_grant_type';
}

export class InvalidScopeError extends OAuthError {
  readonly error = 'invalid_scope';
}

/** RFC 8707 §2: the requested resource is invalid, unknown, or not acceptable. */
export class InvalidTargetError extends OAuthError {
  readonly error = 'invalid_target';
}

/**
 * RFC 6749 §4.1.2.1 `temporarily_unavailable`, used on the token and other OAuth endpoints too (with
 * 503 and `Retry-After`) when a dependency such as the database is briefly away.
 */
export class TemporarilyUnavailableError extends OAuthError {
  readonly error = 'temporarily_unavailable';
  override readonly status = 503;
  constructor(
    retryAfterSeconds: number,
    description = 'The service is temporarily unavailable; retry later',
  ) {
    super(description);
    this.headers['Retry-After'] = String(retryAfterSeconds);
  }
}

const quote = (v: string) => v.replace(/[\\"]/g, '\\$&').replace(/[^\x20-\x7e]/g, '');

/** RFC 6750 §3: errors of protected resources carry their details in `WWW-Authenticate: Bearer`. */
abstract class BearerError extends OAuthError {
  protected setChallenge(extra: Record<string, string> = {}): void {
    const params: Record<string, string> = {
      realm: 'scopegate',
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
    this.headers['WWW-Authenticate'] = 'Bearer realm="scopegate"';
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
