import { InvalidRequestError } from './errors';

const MAX_PARAM_LENGTH = 4096;

export interface RequestParams<R extends string> {
  /** Parameters that appear at most once, each a non-empty string. */
  single: Record<string, string>;
  /** The values of each repeatable parameter, in request order (empty when absent). */
  repeated: Record<R, string[]>;
}

/**
 * The parameters of a form-encoded or JSON token request. RFC 6749 §3.2: "parameters MUST NOT be
 * included more than once", except those an extension makes repeatable (RFC 8707 §2 `resource`);
 * §3.1: parameters without a value are treated as omitted.
 */
export function requestParams<R extends string>(
  body: unknown,
  repeatable: readonly R[] = [],
): RequestParams<R> {
  const single: Record<string, string> = {};
  const repeated = Object.fromEntries(repeatable.map((name) => [name, [] as string[]])) as Record<
    R,
    string[]
  >;
  if (body === undefined || body === null) return { single, repeated };
  if (typeof body !== 'object' || Array.isArray(body))
    throw new InvalidRequestError('The request body must be a form or a JSON object');
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const isRepeatable = (repeatable as readonly string[]).includes(key);
    if (Array.isArray(value) && !isRepeatable)
      throw new InvalidRequestError(`Parameter ${key} is included more than once`);
    const values = Array.isArray(value) ? (value as unknown[]) : [value];
    for (const v of values) {
      if (typeof v !== 'string') throw new InvalidRequestError(`Parameter ${key} must be a string`);
      if (v.length > MAX_PARAM_LENGTH) throw new InvalidRequestError(`Parameter ${key} is too long`);
      if (v === '') continue;
      if (isRepeatable) repeated[key as R].push(v);
      else single[key] = v;
    }
  }
  return { single, repeated };
}

/** The parameters of a request in which every parameter appears at most once. */
export function singleValuedParams(body: unknown): Record<string, string> {
  return requestParams(body).single;
}
