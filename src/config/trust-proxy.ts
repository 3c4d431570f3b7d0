import { isIP } from 'node:net';

/** Range names proxy-addr understands. */
const RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * `TRUST_PROXY`: `false`, `true`, or a comma-separated list of the proxies whose `X-Forwarded-For`
 * is believed: addresses, CIDR ranges (`10.0.0.0/8`) or proxy-addr's range names.
 */
export function parseTrustProxy({ value }: { value: unknown }): unknown {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  return value.split(',').map((entry) => entry.trim());
}

/** True for `false`, `true` or a non-empty list of addresses, CIDR ranges and range names. */
export function isTrustProxy(value: unknown): boolean {
  if (typeof value === 'boolean') return true;
  return (
    Array.isArray(value) && value.length > 0 && value.every((e) => typeof e === 'string' && isProxyEntry(e))
  );
}

function isProxyEntry(entry: string): boolean {
  if (RANGE_NAMES.includes(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (!family || rest.length) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}
