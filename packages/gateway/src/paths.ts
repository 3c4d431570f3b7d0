import { isUtf8 } from 'node:buffer';
import type { RouteMatch } from './config.types';

/**
 * Request paths at the gateway: one canonical form (RFC 3986 §6.2.2), route matching on that form only, and the
 * upstream URL built from it — so the path a route was chosen for is the path the upstream receives, and no
 * spelling of a path (dot segments, encoded dots or slashes, overlong UTF-8) leaves the matched route's prefix.
 */

/** Longest request path accepted, before and after normalisation (characters; the result is ASCII). */
export const MAX_PATH_LENGTH = 8192;

export interface NormalisedTarget {
  /** Canonical absolute path: no empty or dot segments, only pchar and `/`, upper-case percent-encodings. */
  path: string;
  /** The query verbatim with its `?`, or '' when the target has none. */
  search: string;
}

/** Why a request-target was refused; the gateway answers 400 with it. */
export interface TargetError {
  error: string;
}

export type MatchResult<T> =
  { route: T; rest: string } | { error: 'not_found' } | { error: 'method_not_allowed'; allowed: string[] };

export interface Matcher<T> {
  /** `path` must be a `normaliseTarget` result; `method` is compared exactly (RFC 9110 §9.1: case-sensitive). */
  match(method: string, path: string): MatchResult<T>;
}

// RFC 3986 §2.3 unreserved, and what §3.3 pchar (plus the `/` separator) allows unencoded.
const UNRESERVED = asciiSet('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~');
const PATH_CHAR = asciiSet(
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/",
);
const HEX = '0123456789ABCDEF';

/**
 * Normalises the request-target of an incoming request (RFC 9112 §3.2: origin-form only). The query is kept
 * verbatim; the path is percent-decoded where that is safe (unreserved characters, RFC 3986 §6.2.2.2), freed of
 * empty and dot segments (§5.2.4, but `..` above the root is refused rather than clamped), and re-encoded with
 * upper-case hex (§6.2.2.1). Anything whose meaning depends on who reads it is refused: encoded `/` or `\`,
 * raw `\`, encoded or raw control characters, malformed percent-encoding, percent-encoded octets that are not
 * well-formed UTF-8 (overlong forms such as `%C0%AE`, RFC 3629 §10), and `.`/`..` segments carrying `;`
 * parameters (which servlet containers strip). Non-ASCII characters are taken as Unicode and encoded as UTF-8;
 * Node's HTTP parser refuses raw non-ASCII octets, so such characters only come from other callers.
 */
export function normaliseTarget(rawUrl: string): NormalisedTarget | TargetError {
  if (rawUrl.includes('#')) return { error: 'a request-target has no fragment' };
  if (!rawUrl.startsWith('/')) return { error: 'the request-target must be an absolute path (origin-form)' };
  const q = rawUrl.indexOf('?');
  const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
  const search = q < 0 ? '' : rawUrl.slice(q);
  // Forwarded verbatim, so only what an HTTP/1.1 request line can carry (RFC 9112 §3.2, RFC 3986 §3.4).
  if (!/^[\x21-\x7e]*$/.test(search))
    return { error: 'the query holds a character that must be percent-encoded' };
  if (rawPath.length > MAX_PATH_LENGTH) return { error: 'the path is too long' };
  const canonical = canonicalEncoding(rawPath);
  if (typeof canonical !== 'string') return canonical;
  const path = removeDotSegments(canonical.split('/'));
  if (typeof path !== 'string') return path;
  if (path.length > MAX_PATH_LENGTH) return { error: 'the path is too long' };
  return { path, search };
}

/**
 * Compiles route patterns: `/orders/*` matches `/orders`, `/orders/` and everything below `/orders/`, never
 * `/ordersX`; any other pattern matches exactly that path (`/status` is not `/status/`). Patterns are brought to
 * the canonical encoding (`/ördérs/*` matches `/%C3%B6rd%C3%A9rs/1`). Among the routes whose pattern matches,
 * the most specific wins: an exact pattern, then the longest prefix, then a case-sensitive one; routes with
 * equally specific patterns share the path and are told apart by method (first listed wins), and a method none
 * of them lists is `method_not_allowed` with their methods, never a fall-back to a less specific route. HEAD
 * is only allowed where listed. Throws an error naming `routes[i].match…` for a pattern that is not a plain
 * path, a route without methods, or a route an earlier one hides entirely.
 */
export function compileRoutes<T extends { match: RouteMatch }>(routes: readonly T[]): Matcher<T> {
  const compiled = routes.map((route, i) => compileRoute(route, i));
  for (const later of compiled) {
    const earlier = compiled.find((c) => c.index < later.index && c.identity === later.identity);
    const shared = earlier && later.methods.find((m) => earlier.methods.includes(m));
    if (shared) {
      throw new Error(
        `routes[${later.index}].match: routes[${earlier.index}] already serves ${shared} ${later.pattern}`,
      );
    }
  }
  // Most specific first; Array.prototype.sort is stable, so routes of equal rank keep the configured order.
  compiled.sort((a, b) => compareRank(b, a));

  return {
    match(method, path) {
      const lowered = asciiLower(path);
      const best: CompiledRoute<T>[] = [];
      for (const c of compiled) {
        if (best.length > 0 && compareRank(c, best[0]) !== 0) break;
        const subject = c.caseInsensitive ? lowered : path;
        const hit = c.exact
          ? subject === c.key
          : c.key === '' || subject === c.key || subject.startsWith(c.key + '/');
        if (hit) best.push(c);
      }
      if (best.length === 0) return { error: 'not_found' };
      const chosen = best.find((c) => c.methods.includes(method));
      if (chosen) return { route: chosen.route, rest: chosen.exact ? '' : path.slice(chosen.key.length) };
      return { error: 'method_not_allowed', allowed: [...new Set(best.flatMap((c) => c.methods))] };
    },
  };
}

/**
 * The URL the upstream receives: the base URL's path followed by the normalised request path and the query
 * (`http://u:9000/api` + `/orders/1` → `http://u:9000/api/orders/1`). Throws when `path`/`search` are not a
 * `normaliseTarget` result, or when the base is not a plain http(s) URL (credentials, a query or a fragment in
 * it are refused rather than silently dropped), so the result always lies under the base.
 */
export function upstreamUrl(upstream: string, path: string, search: string): string {
  const target = normaliseTarget(path + search);
  if ('error' in target || target.path !== path || target.search !== search) {
    throw new Error('upstreamUrl: the path and query must come from normaliseTarget');
  }
  const base = new URL(upstream);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new Error('upstreamUrl: the upstream must be an http or https URL');
  }
  if (base.username !== '' || base.password !== '' || base.search !== '' || base.hash !== '') {
    throw new Error('upstreamUrl: the upstream URL must not carry credentials, a query or a fragment');
  }
  const basePath = base.pathname.replace(/\/+$/, '');
  return `${base.protocol}//${base.host}${basePath}${path}${search}`;
}

interface CompiledRoute<T> {
  route: T;
  index: number;
  exact: boolean;
  caseInsensitive: boolean;
  /** Canonical pattern, without the trailing `/*` of a prefix pattern. */
  pattern: string;
  /** `pattern` as compared: ASCII lower-cased when case-insensitive. */
  key: string;
  /** Two routes with the same identity match the same paths. */
  identity: string;
  methods: readonly string[];
}

function compileRoute<T extends { match: RouteMatch }>(route: T, index: number): CompiledRoute<T> {
  const { path, methods, caseInsensitive } = route.match;
  const where = `routes[${index}].match.path`;
  if (typeof path !== 'string' || !path.startsWith('/')) throw new Error(`${where}: must start with "/"`);
  const exact = !path.endsWith('/*');
  const base = exact ? path : path.slice(0, -2);
  if (base.includes('*'))
    throw new Error(`${where}: "*" is only allowed as the last segment, as in /orders/*`);
  if (base.includes('?') || base.includes('#'))
    throw new Error(`${where}: a pattern has no query or fragment`);
  let pattern = '';
  if (base !== '') {
    const canonical = canonicalEncoding(base);
    if (typeof canonical !== 'string') throw new Error(`${where}: ${canonical.error}`);
    const segments = canonical.split('/');
    segments.forEach((segment, k) => {
      // Only an exact pattern may end in "/" (its last segment is then empty).
      const emptyAllowed = k === 0 || (exact && k === segments.length - 1);
      if ((segment === '' && !emptyAllowed) || isDotSegment(segment)) {
        throw new Error(`${where}: empty or dot segments never match a normalised path`);
      }
    });
    if (canonical.length > MAX_PATH_LENGTH) throw new Error(`${where}: too long`);
    pattern = canonical;
  }
  if (!Array.isArray(methods) || methods.length === 0) {
    throw new Error(`routes[${index}].match.methods: lists no method`);
  }
  const key = caseInsensitive ? asciiLower(pattern) : pattern;
  const identity = `${exact ? '=' : '*'}${caseInsensitive ? 'i' : 's'}${key}`;
  return { route, index, exact, caseInsensitive, pattern, key, identity, methods: [...methods] };
}

/** Exact beats prefix; a longer pattern beats a shorter; case-sensitive beats case-insensitive. */
function compareRank(a: CompiledRoute<unknown>, b: CompiledRoute<unknown>): number {
  return (
    Number(a.exact) - Number(b.exact) ||
    a.key.length - b.key.length ||
    Number(!a.caseInsensitive) - Number(!b.caseInsensitive)
  );
}

/** Canonical percent-encoding of a path (RFC 3986 §6.2.2.1–2), segments left as they are; or why it is refused. */
function canonicalEncoding(path: string): string | TargetError {
  let out = '';
  let octets: number[] = []; // a run of non-ASCII octets, raw or encoded, checked as one UTF-8 sequence
  const flush = (): boolean => {
    if (octets.length === 0) return true;
    if (!isUtf8(Uint8Array.from(octets))) return false;
    for (const b of octets) out += percent(b);
    octets = [];
    return true;
  };
  const notUtf8: TargetError = {
    error: 'the path holds percent-encoded octets that are not well-formed UTF-8',
  };

  for (let i = 0; i < path.length;) {
    const c = path.charCodeAt(i);
    if (c === 0x25) {
      const b = hexOctet(path, i + 1);
      if (b < 0) return { error: 'the path holds a malformed percent-encoding' };
      i += 3;
      if (b >= 0x80) {
        octets.push(b);
        continue;
      }
      if (!flush()) return notUtf8;
      if (b === 0x2f || b === 0x5c) return { error: 'the path holds an encoded slash or backslash' };
      if (b < 0x20 || b === 0x7f) return { error: 'the path holds an encoded control character' };
      out += UNRESERVED[b] ? String.fromCharCode(b) : percent(b);
      continue;
    }
    if (c >= 0x80) {
      const cp = path.codePointAt(i) as number;
      if (cp >= 0xd800 && cp <= 0xdfff) return { error: 'the path holds a lone surrogate' };
      octets.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    if (!flush()) return notUtf8;
    if (c < 0x20 || c === 0x7f) return { error: 'the path holds a control character' };
    if (c === 0x5c) return { error: 'the path holds a backslash' };
    out += PATH_CHAR[c] ? path[i] : percent(c);
    i += 1;
  }
  return flush() ? out : notUtf8;
}

/** RFC 3986 §5.2.4 on segments without empty ones (`//` collapses); `..` above the root is refused. */
function removeDotSegments(segments: string[]): string | TargetError {
  const kept: string[] = [];
  const rest = segments.slice(1); // segments[0] is the empty string before the leading "/"
  for (const segment of rest) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (kept.length === 0) return { error: 'the path climbs above the root' };
      kept.pop();
      continue;
    }
    if (isDotSegment(segment)) return { error: 'the path holds a dot segment with parameters' };
    kept.push(segment);
  }
  const last = rest[rest.length - 1];
  const trailingSlash = kept.length > 0 && (last === '' || last === '.' || last === '..');
  return '/' + kept.join('/') + (trailingSlash ? '/' : '');
}

/** `.` or `..`, also with `;` parameters (`..;x`), which servlet containers strip before resolving dots. */
function isDotSegment(segment: string): boolean {
  const name = segment.split(';', 1)[0];
  return name === '.' || name === '..';
}

function hexOctet(s: string, at: number): number {
  const hi = hexDigit(s.charCodeAt(at));
  const lo = hexDigit(s.charCodeAt(at + 1));
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function percent(b: number): string {
  return '%' + HEX[b >> 4] + HEX[b & 15];
}

function asciiSet(chars: string): boolean[] {
  const set = new Array<boolean>(128).fill(false);
  for (const ch of chars) set[ch.charCodeAt(0)] = true;
  return set;
}

function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
}
