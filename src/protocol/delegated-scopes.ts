import { grantScopes } from './scope-syntax';

export type DelegatedScopes = { scopes: string[] } | { outside: string[] };

/**
 * The scopes a client asks a user for (RFC 6749 §3.3): everything requested must lie within what the
 * client may have (else `invalid_scope`, listing the rest); no request means all of those.
 */
export function clientRequestedScopes(
  requested: string[] | undefined,
  clientAllowed: ReadonlySet<string>,
): DelegatedScopes {
  const scopes = grantScopes(requested, clientAllowed);
  if (scopes) return { scopes };
  return { outside: requested!.filter((s) => !clientAllowed.has(s)) };
}

/** Granted = requested ∩ client's role ∩ user's roles: a user cannot delegate what they do not hold. */
export function userGrantableScopes(
  requested: readonly string[],
  userAllowed: ReadonlySet<string>,
): string[] {
  return requested.filter((s) => userAllowed.has(s)).sort();
}

/** Whether a remembered consent covers the scopes (asking for more asks again). */
export function consentCovers(consented: readonly string[] | undefined, scopes: readonly string[]): boolean {
  if (!consented) return false;
  const set = new Set(consented);
  return scopes.every((s) => set.has(s));
}
