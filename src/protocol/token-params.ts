import { InvalidRequestError } from './errors';

const MAX_PARAM_LENGTH = 4096;

/**
 * The parameters of a form-encoded or JSON token request as single strings. RFC 6749 §3.2:
 * "parameters MUST NOT be included more than once"; §3.1: parameters without a value are treated
 * as omitted.
 */
export function singleValuedParams(body: unknown): Record<string, string> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body))
    throw new InvalidRequestError('The request body must be a form or a JSON object');
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (Array.isArray(value)) throw new InvalidRequestError(`Parameter ${key} is included more than once`);
    if (typeof value !== 'string') throw new InvalidRequestError(`Parameter ${key} must be a string`);
    if (value.length > MAX_PARAM_LENGTH) throw new InvalidRequestError(`Parameter ${key} is too long`);
    if (value !== '') out[key] = value;
  }
  return out;
}
