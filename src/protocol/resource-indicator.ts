import { InvalidTargetError } from './errors';

/** Longest resource identifier accepted (an API's registered identifier has the same bound). */
export const MAX_RESOURCE_LENGTH = 2048;
/** Resources one request may name (RFC 8707 §2 allows several; a bound keeps lookups cheap). */
export const MAX_RESOURCES = 10;

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

/**
 * The `resource` parameters of a request (RFC 8707 §2: repeatable), each a valid indicator, without
 * duplicates, in request order; `invalid_target` otherwise.
 */
export function parseResources(values: readonly string[]): string[] {
  if (values.length > MAX_RESOURCES)
    throw new InvalidTargetError(`At most ${MAX_RESOURCES} resources may be requested`);
  for (const value of values) {
    const problem = resourceIndicatorProblem(value);
    if (problem) throw new InvalidTargetError(`The resource ${problem}`);
  }
  return [...new Set(values)];
}
