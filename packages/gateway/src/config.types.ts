/**
 * The gateway's configuration, after validation and with defaults applied (see config.ts for the YAML
 * format and its schema). Durations are milliseconds, sizes bytes.
 */
export interface GatewayConfig {
  listen: { host: string; port: number };
  /** Scopegate's issuer identifier; its metadata, keys, feed and catalog are read from it. */
  issuer: string;
  /** A confidential client with scope scopegate:resource-server (feed, catalog, usage, introspection). */
  client: { id: string; secret: string };
  /** While the revocation feed is down: introspect per request (true, default) or trust the last copy. */
  failClosed: boolean;
  /** Largest response body the gateway buffers to filter it (after decompression). Default 8 MiB. */
  maxBodyBytes: number;
  /** Shared rate-limit counters (several gateway instances): Redis URL; in memory when absent. */
  redisUrl?: string;
  routes: RouteConfig[];
}

export interface RouteConfig {
  name: string;
  match: RouteMatch;
  /** Base URL of the upstream (http or https); the matched request path is appended to its path. */
  upstream: string;
  /** The API's resource identifier (RFC 8707): tokens must carry it in `aud`. Required unless public. */
  audience?: string;
  /** Every one of these scopes is required. */
  scopes: string[];
  /** At least one of these scopes is required (when non-empty). */
  scopesAny: string[];
  public: boolean;
  /** JSON response field path → claim category, e.g. { "total_price": "pricing", "items[].unit_price": "pricing" }. */
  claims: Record<string, string>;
  rateLimit?: { perClient: number; windowMs: number };
  /** No upstream answer by then → 504. Default 30 s. */
  timeoutMs: number;
  /** Forward the caller's Authorization header to the upstream. Default false. */
  forwardToken: boolean;
}

export interface RouteMatch {
  /** `/orders/*` (a trailing `*` matches the rest of the path, including nothing) or an exact path. */
  path: string;
  /** Upper-case methods; default [GET, HEAD]. */
  methods: string[];
  /** Match the path without regard to case. Default false. */
  caseInsensitive: boolean;
}
