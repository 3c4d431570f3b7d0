/**
 * RFC 7591 §2 `token_endpoint_auth_method` values this server implements: HTTP Basic or body
 * credentials (RFC 6749 §2.3.1), or `none` for a public client (PKCE, RFC 7636). Registration accepts,
 * the schema checks and metadata advertises exactly these.
 */
export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];
