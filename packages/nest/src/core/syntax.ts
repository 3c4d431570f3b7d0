/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ); Scopegate bounds names at 64. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,64}$/;

export function isScopeToken(s: string): boolean {
  return SCOPE_TOKEN.test(s);
}

/** Longest resource identifier accepted (an API's registered identifier has the same bound). */
export const MAX_RESOURCE_LENGTH = 2048;

/**
 * Why a string cannot be a resource indicator (RFC 8707 §2: an absolute URI without a fragment; a
 * query component SHOULD NOT be used and is refused here), or undefined when it can.
 */
export function resourceIndicatorProblem(value: string): string | undefined {
  if (value.length > MAX_RESOURCE_LENGTH) return `is longer than ${MAX_RESOURCE_LENGTH} characters`;
  // Only printable ASCII: URL parsing would otherwise normalise what the client sent into something else.
  if (!/^[\x21-\x7e]+$/.test(value)) return 'must be an absolute URI of printable ASCII characters';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URI';
  }
  if (value.includes('#')) return 'must not include a fragment';
  if (url.search !== '' || value.includes('?')) return 'must not include a query';
  return undefined;
}
