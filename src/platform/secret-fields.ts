/** Field names that may hold credentials: censored in logs and dropped from audit details. */
export const SECRET_FIELDS = [
  'password',
  'client_secret',
  'clientSecret',
  'secret',
  'api_key',
  'apiKey',
  'access_token',
  'refresh_token',
  'id_token',
  'token',
  'code',
  'code_verifier',
  'private_key',
  'privateKey',
  'authorization',
  'cookie',
];

const SECRET_SET = new Set(SECRET_FIELDS.map((f) => f.toLowerCase()));

/** A deep copy without any field named like a secret. */
export function withoutSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutSecrets) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !SECRET_SET.has(k.toLowerCase()))
        .map(([k, v]) => [k, withoutSecrets(v)]),
    ) as T;
  }
  return typeof value === 'string' ? (value.split('\u0000').join('') as T) : value;
}
