import type { ClientEntity } from '../../../clients/client.entity';
import type { AuditEventInput } from '../../../audit/audit.service';
import type { RequestMeta } from '../../../platform/http/request-meta';
import type { GrantType } from '../../../protocol/grant-types';

export interface GrantContext {
  client: ClientEntity;
  /** The token request's parameters (each exactly once, RFC 6749 §3.2). */
  params: Record<string, string>;
  /** RFC 8707 `resource` parameters (valid indicators, not yet resolved); empty when none. */
  resources: string[];
  meta: RequestMeta;
  /** Events to commit together with the grant's own (client authentication). */
  events: AuditEventInput[];
}

/** RFC 6749 §5.1 successful response. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
}

/**
 * One grant type; the registry picks the handler by `grant_type`. Typed as a SUPPORTED_GRANT_TYPES
 * member, so a handler cannot serve a grant type that client registration would refuse.
 */
export interface GrantHandler {
  readonly grantType: GrantType;
  handle(ctx: GrantContext): Promise<TokenResponse>;
}

export const GRANT_HANDLERS = Symbol('GRANT_HANDLERS');
