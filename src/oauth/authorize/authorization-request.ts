import type { ClientEntity } from '../../clients/client.entity';

/** The authorization request parameters carried through the login and consent forms. */
export const AUTHORIZATION_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'nonce',
  'prompt',
  'response_mode',
  'login_hint',
  'max_age',
  'request',
  'request_uri',
] as const;

const MAX_LENGTH = 2048;

/** A validated RFC 6749 §4.1.1 request (plus RFC 7636 PKCE and OIDC nonce/prompt). */
export interface AuthorizationRequest {
  client: ClientEntity;
  redirectUri: string;
  /** Whether the request named the redirect URI (RFC 6749 §4.1.3 then requires it at the token endpoint). */
  redirectUriExplicit: boolean;
  state?: string;
  /** Requested scopes within what the client may have. */
  scopes: string[];
  codeChallenge: string;
  codeChallengeMethod: 'S256';
  nonce?: string;
  prompt: Set<string>;
  /** OIDC Core §3.1.2.1: seconds since the sign-in after which the user must sign in again. */
  maxAge?: number;
  loginHint?: string;
  /** RFC 8707 resources the tokens of this grant may be for (registered APIs). */
  resources: string[];
  /** The original parameters, re-sent (and re-validated) by the forms. */
  params: FormParams;
}

/** Request parameters as the forms carry them: `resource` may repeat (RFC 8707 §2). */
export type FormParams = Record<string, string | readonly string[]>;

/**
 * RFC 9700 §4.1.1 / RFC 6749 §4.1.2.1: the client or redirect URI cannot be trusted, so the user
 * sees an error page and is never redirected.
 */
export class AuthorizePageError extends Error {
  constructor(
    readonly title: string,
    readonly description: string,
    readonly detail: string,
  ) {
    super(description);
  }
}

/** RFC 6749 §4.1.2.1: an error sent back to the (verified) redirect URI. */
export class AuthorizeRedirectError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly target: { redirectUri: string; state?: string },
  ) {
    super(description);
  }
}

/**
 * The parameters of a query or form: single-valued ones (RFC 6749 §3.1: none may repeat; empty ones
 * are omitted), the repeatable `resource` (RFC 8707 §2), and the names that were repeated or too long.
 */
export function readAuthorizationParams(source: unknown): {
  params: Record<string, string>;
  resources: string[];
  invalid: Map<string, string>;
} {
  const params: Record<string, string> = {};
  const resources: string[] = [];
  const invalid = new Map<string, string>();
  if (!source || typeof source !== 'object') return { params, resources, invalid };
  const resource = (source as Record<string, unknown>).resource;
  for (const value of Array.isArray(resource) ? (resource as unknown[]) : [resource]) {
    if (value === undefined || value === '') continue;
    if (typeof value !== 'string') invalid.set('resource', 'Parameter resource must be a string');
    else if (value.length > MAX_LENGTH) invalid.set('resource', 'Parameter resource is too long');
    else resources.push(value);
  }
  for (const name of AUTHORIZATION_PARAMS) {
    const value = (source as Record<string, unknown>)[name];
    if (value === undefined || value === '') continue;
    if (Array.isArray(value)) invalid.set(name, `Parameter ${name} is included more than once`);
    else if (typeof value !== 'string') invalid.set(name, `Parameter ${name} must be a string`);
    else if (value.length > MAX_LENGTH) invalid.set(name, `Parameter ${name} is too long`);
    else params[name] = value;
  }
  return { params, resources, invalid };
}

/** One form field as a string (undefined when absent, repeated or not a string). */
export function formField(body: unknown, name: string, max = 1024): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const v = (body as Record<string, unknown>)[name];
  return typeof v === 'string' && v.length <= max ? v : undefined;
}

/** The redirect to the client: its exact registered URI plus the response parameters (RFC 6749 §4.1.2). */
export function redirectWith(redirectUri: string, values: Record<string, string | undefined>): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined) qs.append(k, v);
  return `${redirectUri}${redirectUri.includes('?') ? '&' : '?'}${qs.toString()}`;
}
