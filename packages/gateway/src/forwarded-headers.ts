import type { IncomingHttpHeaders } from 'node:http';
import type { Principal } from '@scopegate/nest/core';

/** Headers that only the gateway sets; arriving from outside they are forged (any case, `-` or `_`). */
const OWN_HEADER = /^x[-_]scopegate[-_]/i;

/** Headers some frameworks honour to change the URL or method behind the proxy's back. */
const REWRITING_HEADERS = new Set([
  'x-original-url',
  'x-rewrite-url',
  'x-original-uri',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
]);

/** RFC 9110 §7.6.1 hop-by-hop headers (Connection and the ones it names are removed before this runs). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  // 100-continue is a hop's conversation: the gateway has already read (or streams) the body.
  'expect',
]);

/** Conditional and partial requests: on a filtered route they could yield unfiltered bytes or stale tags. */
const CONDITIONAL = [
  'range',
  'if-range',
  'if-none-match',
  'if-modified-since',
  'if-match',
  'if-unmodified-since',
];

export interface ForwardContext {
  requestId: string;
  principal?: Principal;
  /** Keep the caller's Authorization header (route `forward_token: true`). */
  forwardToken: boolean;
  /** The route filters response fields: no partial or conditional requests upstream. */
  filtered: boolean;
  /** The caller's address, appended to X-Forwarded-For. */
  clientIp: string;
}

/**
 * The headers the upstream receives: the caller's, without anything that could impersonate the
 * gateway or steer the upstream (identity headers, URL and method overrides, hop-by-hop headers,
 * the token unless the route forwards it), plus the verified identity — set last, so nothing the
 * caller sent can replace or remove it.
 */
export function forwardedHeaders(incoming: IncomingHttpHeaders, ctx: ForwardContext): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    const lower = name.toLowerCase();
    if (OWN_HEADER.test(lower) || REWRITING_HEADERS.has(lower) || HOP_BY_HOP.has(lower)) continue;
    if (lower === 'authorization' && !ctx.forwardToken) continue;
    if (lower === 'x-request-id' || lower === 'x-forwarded-for') continue;
    if (ctx.filtered && CONDITIONAL.includes(lower)) continue;
    out[lower] = value;
  }
  const previous = incoming['x-forwarded-for'];
  const chain =
    typeof previous === 'string' && /^[0-9a-fA-F.:, ]{1,512}$/.test(previous) ? `${previous}, ` : '';
  out['x-forwarded-for'] = `${chain}${ctx.clientIp}`;
  out['x-request-id'] = ctx.requestId;
  if (ctx.principal) {
    out['x-scopegate-subject'] = ctx.principal.sub;
    out['x-scopegate-client-id'] = ctx.principal.clientId;
    out['x-scopegate-scope'] = ctx.principal.scopes.join(' ');
  }
  return out;
}

/** Response headers that describe the upstream's bytes, not the filtered body the gateway sends. */
export const REPRESENTATION_HEADERS = [
  'content-length',
  'content-encoding',
  'content-range',
  'accept-ranges',
  'etag',
  'last-modified',
  'content-md5',
  'digest',
  'repr-digest',
  'content-digest',
];

/** Directives addressed to shared caches (RFC 9111 §5.2.2.9, §5.2.2.10, §5.2.2.8), and `private` itself. */
const SHARED_CACHE_DIRECTIVES = new Set(['public', 's-maxage', 'proxy-revalidate', 'private']);
/** One Cache-Control list element: commas inside a quoted string do not split it (RFC 9110 §5.6.1). */
const LIST_ELEMENT = /(?:[^,"]|"(?:[^"\\]|\\.)*"?)+/g;

/**
 * The Cache-Control of a response that depends on the caller's token: unqualified `private` (RFC 9111
 * §5.2.2.7; a qualified `private="…"` would leave the rest to shared caches), without the upstream's
 * directives for shared caches that would contradict it; the others are kept as they were.
 */
export function privateCacheControl(upstream: string): string {
  const kept = (upstream.match(LIST_ELEMENT) ?? [])
    .map((d) => d.trim())
    .filter((d) => d && !SHARED_CACHE_DIRECTIVES.has(d.split('=')[0].trim().toLowerCase()));
  return ['private', ...kept].join(', ');
}
