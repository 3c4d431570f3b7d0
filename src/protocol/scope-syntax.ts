import { isScopeToken } from '@scopegate/nest/core';

/** RFC 6749 §3.3 scope-token syntax: one rule, shared with resource servers and the gateway. */
export { isScopeToken };

/** Parses a `scope` parameter; undefined when it is malformed. Duplicates collapse. */
export function parseScope(value: string): string[] | undefined {
  const parts = value.split(' ').filter((p) => p.length > 0);
  if (value.length > 2048 || !parts.every(isScopeToken)) return undefined;
  return [...new Set(parts)];
}

/** Scopes in a stable order, space-joined (the `scope` claim and response field). */
export function formatScope(scopes: Iterable<string>): string {
  return [...scopes].sort().join(' ');
}

/**
 * The scopes a request gets: all it asked for, if each is allowed; `undefined` (→ invalid_scope)
 * when it asked for anything outside `allowed`. No request means every allowed scope.
 */
export function grantScopes(
  requested: string[] | undefined,
  allowed: ReadonlySet<string>,
): string[] | undefined {
  if (requested === undefined || requested.length === 0) return [...allowed].sort();
  return requested.every((s) => allowed.has(s)) ? [...requested].sort() : undefined;
}
