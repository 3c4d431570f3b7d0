import { OAuthError } from '@scopegate/nest/core';

/**
 * The authorization server's errors, one class per RFC 6749 code. The base class and the protected-
 * resource errors (RFC 6750 §3) live with the resource-server package, which Scopegate's own routes use.
 */
export {
  InsufficientScopeError,
  InvalidBearerRequestError,
  InvalidTokenError,
  MissingTokenError,
  OAuthError,
  TemporarilyUnavailableError,
} from '@scopegate/nest/core';

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
