import { resourceIndicatorProblem } from '@scopegate/nest/core';
import { InvalidTargetError } from './errors';

export { MAX_RESOURCE_LENGTH, resourceIndicatorProblem } from '@scopegate/nest/core';
/** Resources one request may name (RFC 8707 §2 allows several; a bound keeps lookups cheap). */
export const MAX_RESOURCES = 10;

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
