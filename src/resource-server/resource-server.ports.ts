import type { RequestMeta } from '../platform/http/request-meta';
import type { Principal } from './principal';

/**
 * The ports through which the resource server talks to the domain. They are abstract classes so that
 * they serve as DI tokens; the application binds them in ResourceServerModule.forRoot.
 */

/** Verifies bearer access tokens (RFC 6750, RFC 9068). */
export abstract class AccessTokenAuthenticator {
  /** The principal of a valid, unrevoked token; throws InvalidTokenError otherwise. */
  abstract authenticate(token: string): Promise<Principal>;
}

/** Which claim categories scopes grant (the claims filter and write check). */
export abstract class ClaimCatalog {
  abstract categoriesGrantedBy(scopes: Iterable<string>): Promise<ReadonlySet<string>>;
  /** The scopes that grant a category (to name one in an insufficient_scope refusal). */
  abstract scopesGranting(category: string): Promise<string[]>;
}

/** One audited protected API call (built by apiCallEvent). */
export interface ApiCallEvent {
  type: 'api.call';
  outcome: 'success' | 'failure' | 'denied';
  actor?: string;
  subject?: string;
  clientId?: string;
  jti?: string;
  details: Record<string, unknown>;
  meta: RequestMeta;
}

/** Records api.call events without holding up the request. */
export abstract class ApiCallRecorder {
  /**
   * Queues the event. Under a backlog it returns the write for the caller to await (backpressure),
   * otherwise undefined.
   */
  abstract record(event: ApiCallEvent): Promise<void> | undefined;
}
