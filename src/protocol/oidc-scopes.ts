/**
 * OpenID Connect scopes that describe a user (OIDC Core §3.1.2.1 `openid`, §5.4 claims scopes,
 * §11 `offline_access`): a client acting on its own behalf gets none of them.
 */
export const OIDC_USER_SCOPES: ReadonlySet<string> = new Set([
  'openid',
  'profile',
  'email',
  'address',
  'phone',
  'offline_access',
]);

/** The scopes a client may hold for itself: its allowed scopes without the user scopes. */
export function clientOwnScopes(allowed: Iterable<string>): string[] {
  return [...allowed].filter((s) => !OIDC_USER_SCOPES.has(s));
}
