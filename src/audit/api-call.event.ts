import { InsufficientScopeError, OAuthError, type ApiCall } from '@scopegate/nest';
import type { AuditEventInput } from './audit.service';
import { isDatabaseUnavailable } from '../platform/unavailable';

/**
 * The one mapping of a protected call (as the resource-server guard and interceptor report it) to the
 * `api.call` audit event: who called which route with which token, the scopes it used and the
 * decision. Tokens never appear in it, only their jti.
 */
export function apiCallEvent(call: ApiCall): AuditEventInput {
  const { principal } = call;
  const base = { method: call.method, path: call.route };
  let outcome: AuditEventInput['outcome'];
  let details: Record<string, unknown>;
  if (call.decision === 'allowed') {
    outcome = call.failed ? 'failure' : 'success';
    details = {
      ...base,
      url: call.url,
      scopes_used: call.scopesUsed,
      token_scope: principal!.scopes.join(' '),
      decision: 'allowed',
      ...(call.failed ? { status: statusOf(call.error, call.status) } : {}),
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
  return {
    type: 'api.call',
    outcome,
    ...caller,
    details,
    meta: { requestId: call.requestId, ip: call.ip, userAgent: call.userAgent },
  };
}

/** A handler error the package could not classify: the database being away is 503 here. */
const statusOf = (error: unknown, status: number): number =>
  status === 500 && isDatabaseUnavailable(error) ? 503 : status;
