/** Grant types this server implements (registration accepts, metadata advertises only these). */
export const SUPPORTED_GRANT_TYPES = ['client_credentials', 'authorization_code', 'refresh_token'] as const;
export type GrantType = (typeof SUPPORTED_GRANT_TYPES)[number];
