import type { FastifyRequest } from 'fastify';
import { isDatabaseUnavailable } from '../platform/unavailable';
import { requestMetaOf } from '../platform/http/request-meta';
import { InsufficientScopeError, OAuthError } from '../protocol/errors';
import type { Principal } from './principal';
import type { ApiCallEvent } from './resource-server.ports';

export type ApiCallDecision =
  /** The guard let the call through; `status` is set when the handler then failed. */
  | { decision: 'allowed'; principal: Principal; scopesUsed: readonly string[]; status?: number }
  /** The guard refused it; `principal` is known when only the scope was missing. */
  | { decision: 'denied'; principal?: Principal; error: unknown };

/**
 * The one builder of the `api.call` audit event: who called which route with which token, the scopes
 * it used and the decision. Tokens never appear in it, only their jti.
 */
export function apiCallEvent(req: FastifyRequest, call: ApiCallDecision): ApiCallEvent {
  const { principal } = call;
  const url = req.url.split('?')[0];
  const base = { method: req.method, path: req.routeOptions.url ?? url };
  let outcome: ApiCallEvent['outcome'];
  let details: Record<string, unknown>;
  if (call.decision === 'allowed') {
    outcome = call.status === undefined ? 'success' : 'failure';
    details = {
      ...base,
      url,
      scopes_used: call.scopesUsed,
      token_scope: [...call.principal.scopes].join(' '),
      decision: 'allowed',
      ...(call.status === undefined ? {} : { status: call.status }),
    };
  } else {
    const error = call.error instanceof OAuthError ? call.error : undefined;
    // The database could not be asked (revocation check): answered 503, not a verdict on the token.
    const unavailable = !error && isDatabaseUnavailable(call.error);
    outcome = 'denied';
    details = {
      ...base,
      reason: error?.error ?? (unavailable ? 'temporarily_unavailable' : 'invalid_token'),
      ...(error instanceof InsufficientScopeError ? { required: error.requiredScopes } : {}),
      status: error?.status ?? (unavailable ? 503 : 401),
    };
  }
  const caller = principal
    ? { actor: principal.sub, subject: principal.sub, clientId: principal.clientId, jti: principal.jti }
    : {};
  return { type: 'api.call', outcome, ...caller, details, meta: requestMetaOf(req) };
}
