import type { Principal } from '../core/access-token';

/**
 * The ports through which the guard, the claims interceptor and the call recorder reach the outside.
 * ScopegateModule.forRoot binds them to a remote Scopegate (createVerifier); an authorization server
 * binds them to its own domain with ScopegateModule.forPorts. Abstract classes, so they are DI tokens.
 */

/** Verifies bearer access tokens (RFC 6750, RFC 9068). */
export abstract class AccessTokenAuthenticator {
  /** The principal of a valid, unrevoked token; throws InvalidTokenError otherwise. */
  abstract authenticate(token: string): Promise<Principal>;
}

/** Which claim categories scopes grant (the claims filter and the write check). */
export abstract class ClaimCatalog {
  abstract categoriesGrantedBy(scopes: Iterable<string>): Promise<ReadonlySet<string>> | ReadonlySet<string>;
  /** The scopes that grant a category (to name one in an insufficient_scope refusal). */
  abstract scopesGranting(category: string): Promise<string[]> | string[];
}

/** One protected API call, allowed or refused. */
export interface ApiCall {
  decision: 'allowed' | 'denied';
  /** Known when the token was valid (an allowed call, or one refused for a missing scope). */
  principal?: Principal;
  method: string;
  /** The route pattern (`/orders/:id`). */
  route: string;
  /** The path called, without the query. */
  url: string;
  /** The response status. */
  status: number;
  /** An allowed call whose handler then failed. */
  failed: boolean;
  /** The scopes the route requires. */
  scopesUsed: readonly string[];
  /** Why a call was refused, or how an allowed one failed (an OAuthError, or anything a handler threw). */
  error?: unknown;
  requestId: string;
  ip: string;
  userAgent?: string;
  occurredAt: Date;
}

/** Records protected calls without holding up the request. */
export abstract class ApiCallRecorder {
  /**
   * Queues the call. Under a backlog it may return the write for the caller to await (backpressure),
   * otherwise undefined.
   */
  abstract record(call: ApiCall): Promise<void> | undefined;
}
