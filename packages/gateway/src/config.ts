import { readFileSync } from 'node:fs';
import Ajv, { type ErrorObject, type SchemaObject } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import { isScopeToken, resourceIndicatorProblem } from '@scopegate/nest/core';
import type { GatewayConfig, RouteConfig } from './config.types';

/*
 * The YAML format (keys snake_case):
 *
 *   listen: { host: 127.0.0.1, port: 8080 }          # defaults
 *   issuer: http://127.0.0.1:3000                     # http(s) URL, required
 *   client: { id: gw-client, secret: "${SCOPEGATE_CLIENT_SECRET}" }   # required
 *   fail_closed: true                                 # default
 *   max_body_bytes: 8mb                               # bytes or 512kb / 8mb / 1gb (binary units); default 8mb
 *   redis_url: redis://127.0.0.1:6379                 # optional; REDIS_URL from the environment otherwise
 *                                                     # (Redis down or silent for 1 s: rate-limited routes 503)
 *   routes:                                           # at least one
 *     - name: orders                                  # [A-Za-z0-9._:-]{1,64}, unique
 *       match: { path: /orders/*, methods: [GET, POST], case_insensitive: false }
 *       upstream: http://127.0.0.1:9000               # http(s), no query, fragment or credentials
 *       audience: https://orders.example              # required unless public: true
 *       scopes: [orders:read]                         # all required
 *       scopes_any: []                                # at least one required, when non-empty
 *       claims: { total_price: pricing, "items[].unit_price": pricing }
 *       rate_limit: { per_client: 50, window: 1s }
 *       timeout: 10s                                  # ms, s, m or h; default 30s, at most 10m
 *       forward_token: false
 *
 * `${NAME}` in any string value is replaced by that environment variable (`$${` writes a literal `${`).
 * Whole-number settings (port, per_client, durations, sizes) also accept a string of digits, so they
 * can come from the environment as well.
 */

export interface ConfigProblem {
  /** Where in the file, e.g. `routes[2].upstream`, or `line 3, column 7` for YAML syntax. */
  path: string;
  message: string;
}

/** Every problem of a configuration at once; never carries a secret's value. */
export class GatewayConfigError extends Error {
  override readonly name = 'GatewayConfigError';

  constructor(
    readonly problems: readonly ConfigProblem[],
    source?: string,
  ) {
    super(
      `Invalid gateway configuration${source ? ` in ${source}` : ''}:\n` +
        problems.map((p) => `  ${p.path}: ${p.message}`).join('\n'),
    );
  }
}

export const ROUTE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const MIB = 1024 * 1024;
const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  failClosed: true,
  maxBodyBytes: 8 * MIB,
  methods: ['GET', 'HEAD'],
  timeoutMs: 30_000,
};
const MAX_TIMEOUT_MS = 10 * 60_000;
const MAX_WINDOW_MS = 24 * 3_600_000;
const MAX_BODY_BYTES = 1024 * MIB;

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new GatewayConfigError([{ path: file, message: `cannot be read (${code})` }]);
  }
  try {
    return parseConfig(text, env);
  } catch (e) {
    if (e instanceof GatewayConfigError) throw new GatewayConfigError(e.problems, file);
    throw e;
  }
}

export function parseConfig(text: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const raw = parseYaml(text);
  const problems = new Problems();
  const data = substituteEnv(raw, [], env, problems);
  for (const e of validateSchema(data) ? [] : (validateSchema.errors ?? [])) problems.addAjv(e, data);
  checkSemantics(data, env, problems);
  if (problems.list.length > 0) throw new GatewayConfigError(problems.sorted());
  return build(data as RawConfig, env);
}

/** The startup log's summary: the listener and issuer, then one line per route. No secrets. */
export function describeConfig(cfg: GatewayConfig): string {
  const redis = cfg.redisUrl ? `redis ${redisHost(cfg.redisUrl)}` : 'in memory';
  const lines = [
    `listening on ${cfg.listen.host}:${cfg.listen.port}, issuer ${cfg.issuer}, client ${cfg.client.id}, ` +
      `${cfg.failClosed ? 'fail closed' : 'fail open'}, max body ${formatSize(cfg.maxBodyBytes)}, ` +
      `rate limits ${redis}`,
  ];
  for (const r of cfg.routes) {
    const access = r.public
      ? ['public']
      : [
          `audience ${r.audience}`,
          ...(r.scopes.length ? [`scopes ${r.scopes.join(' ')}`] : []),
          ...(r.scopesAny.length ? [`any of ${r.scopesAny.join(' ')}`] : []),
        ];
    const categories = [...new Set(Object.values(r.claims))];
    const details = [
      ...access,
      ...(categories.length ? [`claims ${categories.join(' ')}`] : []),
      ...(r.rateLimit ? [`${r.rateLimit.perClient}/${formatDuration(r.rateLimit.windowMs)} per client`] : []),
      `timeout ${formatDuration(r.timeoutMs)}`,
      ...(r.forwardToken ? ['forwards token'] : []),
    ];
    const path = r.match.caseInsensitive ? `${r.match.path} (any case)` : r.match.path;
    lines.push(
      `route ${r.name}: ${r.match.methods.join(',')} ${path} -> ${r.upstream} (${details.join('; ')})`,
    );
  }
  return lines.join('\n');
}

// ---- YAML ---------------------------------------------------------------------------------------

function parseYaml(text: string): unknown {
  const lineCounter = new LineCounter();
  // prettyErrors would quote the offending line, which may hold a secret.
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  // The first syntax problem only (the rest usually follow from it); its message without the quoted
  // token, which may be a secret.
  const [first] = [...doc.errors, ...doc.warnings];
  if (first) {
    const { line, col } = lineCounter.linePos(first.pos[0]);
    const message =
      first.code === 'MULTIPLE_DOCS'
        ? 'the file must hold a single YAML document'
        : first.message.replace(/: ".*"$/s, '').replace(/ at line \d+, column \d+.*$/s, '');
    throw new GatewayConfigError([{ path: `line ${line}, column ${col}`, message }]);
  }
  try {
    return doc.toJS();
  } catch (e) {
    // e.g. too many alias expansions
    throw new GatewayConfigError([{ path: '(root)', message: (e as Error).message }]);
  }
}

// ---- Environment substitution -------------------------------------------------------------------

type Segment = string | number;

const ENV_REFERENCE = /(\$?)\$\{([^}]*)(\}?)/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function substituteEnv(value: unknown, at: Segment[], env: NodeJS.ProcessEnv, problems: Problems): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    const found: string[] = [];
    const result = value.replace(ENV_REFERENCE, (match, escaped: string, name: string, close: string) => {
      if (escaped) return match.slice(1);
      if (!close) found.push('has an unterminated ${');
      else if (!ENV_NAME.test(name))
        found.push('has a malformed ${…} (a variable name is letters, digits and _)');
      else if (env[name] === undefined) found.push(`environment variable ${name} is not set`);
      else return env[name];
      return match;
    });
    for (const message of found) problems.add(at, message, true);
    return result;
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, [...at, i], env, problems));
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) define(out, k, substituteEnv(v, [...at, k], env, problems));
    return out;
  }
  return value;
}

// ---- Schema -------------------------------------------------------------------------------------

const DURATION_HINT = 'a duration such as 500ms, 10s or 1m';
const SIZE_HINT = 'a size such as 512kb or 8mb';
const text: SchemaObject = { type: 'string', minLength: 1 };
const list: SchemaObject = { type: 'array', items: text };
const flag: SchemaObject = { type: 'boolean' };
const duration: SchemaObject = { type: ['integer', 'string'], description: DURATION_HINT };
const wholeNumber: SchemaObject = { type: ['integer', 'string'], description: 'a whole number' };

const routeSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'match', 'upstream'],
  properties: {
    name: text,
    match: {
      type: 'object',
      additionalProperties: false,
      required: ['path'],
      properties: {
        path: text,
        methods: { type: 'array', minItems: 1, items: text },
        case_insensitive: flag,
      },
    },
    upstream: text,
    audience: text,
    scopes: list,
    scopes_any: list,
    public: flag,
    claims: { type: 'object', additionalProperties: text },
    rate_limit: {
      type: 'object',
      additionalProperties: false,
      required: ['per_client', 'window'],
      properties: { per_client: wholeNumber, window: duration },
    },
    timeout: duration,
    forward_token: flag,
  },
};

const configSchema: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  required: ['issuer', 'client', 'routes'],
  properties: {
    listen: {
      type: 'object',
      additionalProperties: false,
      properties: { host: text, port: wholeNumber },
    },
    issuer: text,
    client: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'secret'],
      properties: { id: text, secret: text },
    },
    fail_closed: flag,
    max_body_bytes: { type: ['integer', 'string'], description: SIZE_HINT },
    redis_url: text,
    routes: { type: 'array', minItems: 1, items: routeSchema },
  },
};

const validateSchema = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true }).compile(
  configSchema,
);

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  integer: 'a whole number',
};

function ajvMessage(e: ErrorObject): string {
  switch (e.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known setting';
    case 'type': {
      const hint = (e.parentSchema as SchemaObject | undefined)?.description as string | undefined;
      return `must be ${hint ?? TYPE_NAMES[String(e.params.type)] ?? String(e.params.type)}`;
    }
    case 'minLength':
    case 'minItems':
      return 'must not be empty';
    default:
      return e.message ?? 'is invalid';
  }
}

// ---- Semantic checks ----------------------------------------------------------------------------

const ROUTE_NAME = /^[A-Za-z0-9._:-]{1,64}$/;
const CATEGORY_NAME = /^[a-z][a-z0-9_.:-]{0,63}$/;
const FIELD = '[A-Za-z0-9_$-]+(?:\\[\\])*';
/** `total_price`, `items[].unit_price`, `[].id` (a top-level array), `a.b.c`. */
const CLAIM_PATH = new RegExp(`^(?:(?:\\[\\])+\\.)?${FIELD}(?:\\.${FIELD})*$`);
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]+$/;
const HOST = /^[A-Za-z0-9._:-]{1,253}$/;

type RawRoute = {
  name: string;
  match: { path: string; methods?: string[]; case_insensitive?: boolean };
  upstream: string;
  audience?: string;
  scopes?: string[];
  scopes_any?: string[];
  public?: boolean;
  claims?: Record<string, string>;
  rate_limit?: { per_client: number | string; window: number | string };
  timeout?: number | string;
  forward_token?: boolean;
};
type RawConfig = {
  listen?: { host?: string; port?: number | string };
  issuer: string;
  client: { id: string; secret: string };
  fail_closed?: boolean;
  max_body_bytes?: number | string;
  redis_url?: string;
  routes: RawRoute[];
};

function checkSemantics(data: unknown, env: NodeJS.ProcessEnv, p: Problems): void {
  if (!isObject(data)) return;
  const listen = data.listen;
  if (isObject(listen)) {
    if (typeof listen.host === 'string' && listen.host && !HOST.test(listen.host))
      p.add(['listen', 'host'], 'must be a host name or IP address');
    checkRange(p, ['listen', 'port'], wholeNumberOf(listen.port), {
      min: 0,
      max: 65535,
      below: 'must be at least 0',
    });
  }
  if (typeof data.issuer === 'string') p.check(['issuer'], httpUrlProblem(data.issuer));
  if (isObject(data.client)) {
    for (const key of ['id', 'secret'])
      if (typeof data.client[key] === 'string' && !/^[\x20-\x7e]*$/.test(data.client[key] as string))
        p.add(['client', key], 'must be printable ASCII');
  }
  checkRange(p, ['max_body_bytes'], sizeOf(data.max_body_bytes), {
    min: 1,
    max: MAX_BODY_BYTES,
    below: POSITIVE,
    show: formatSize,
  });
  if (typeof data.redis_url === 'string') p.check(['redis_url'], redisUrlProblem(data.redis_url));
  else if (data.redis_url === undefined && env.REDIS_URL)
    p.check(['REDIS_URL'], redisUrlProblem(env.REDIS_URL));
  if (Array.isArray(data.routes)) {
    data.routes.forEach((route, i) => {
      if (isObject(route)) checkRoute(route, ['routes', i], p);
    });
    checkRoutesTogether(data.routes, p);
  }
}

function checkRoute(r: Record<string, unknown>, at: Segment[], p: Problems): void {
  if (typeof r.name === 'string' && r.name && !ROUTE_NAME.test(r.name))
    p.add([...at, 'name'], 'must be 1 to 64 letters, digits and ._:-');
  if (isObject(r.match)) checkMatch(r.match, [...at, 'match'], p);
  if (typeof r.upstream === 'string') p.check([...at, 'upstream'], httpUrlProblem(r.upstream));
  if (typeof r.audience === 'string') p.check([...at, 'audience'], resourceIndicatorProblem(r.audience));
  for (const key of ['scopes', 'scopes_any'])
    if (Array.isArray(r[key]))
      (r[key] as unknown[]).forEach((s, j) => {
        if (typeof s === 'string' && s && !isScopeToken(s))
          p.add([...at, key, j], 'must be an RFC 6749 scope token of at most 64 characters');
      });
  if (isObject(r.claims)) {
    for (const [field, category] of Object.entries(r.claims)) {
      if (field.length > 200 || !CLAIM_PATH.test(field))
        p.add([...at, 'claims', field], 'is not a JSON field path such as items[].unit_price');
      if (typeof category === 'string' && category && !CATEGORY_NAME.test(category))
        p.add(
          [...at, 'claims', field],
          'must be a claim category name (lower-case letters, digits and _.:-)',
        );
    }
  }
  if (r.public === true) {
    const set = {
      audience: r.audience !== undefined,
      scopes: Array.isArray(r.scopes) && r.scopes.length > 0,
      scopes_any: Array.isArray(r.scopes_any) && r.scopes_any.length > 0,
      claims: isObject(r.claims) && Object.keys(r.claims).length > 0,
      rate_limit: r.rate_limit !== undefined,
    };
    for (const [key, isSet] of Object.entries(set))
      if (isSet)
        p.add(
          [...at, key],
          key === 'rate_limit'
            ? 'must not be set on a public route (limits count per client)'
            : 'must not be set on a public route',
        );
  } else if (r.audience === undefined) {
    p.add([...at, 'audience'], 'is required unless the route is public');
  }
  if (isObject(r.rate_limit)) {
    checkRange(p, [...at, 'rate_limit', 'per_client'], wholeNumberOf(r.rate_limit.per_client), {
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
      below: 'must be at least 1',
    });
    checkRange(p, [...at, 'rate_limit', 'window'], durationOf(r.rate_limit.window), {
      min: 1,
      max: MAX_WINDOW_MS,
      below: POSITIVE,
      show: formatDuration,
    });
  }
  checkRange(p, [...at, 'timeout'], durationOf(r.timeout), {
    min: 1,
    max: MAX_TIMEOUT_MS,
    below: POSITIVE,
    show: formatDuration,
  });
}

function checkMatch(m: Record<string, unknown>, at: Segment[], p: Problems): void {
  if (typeof m.path === 'string' && m.path) p.check([...at, 'path'], pathPatternProblem(m.path));
  if (Array.isArray(m.methods))
    m.methods.forEach((method, j) => {
      if (typeof method === 'string' && method && !isMethod(method.toUpperCase()))
        p.add([...at, 'methods', j], `must be one of ${ROUTE_METHODS.join(', ')}`);
    });
}

/** Route names are unique; two routes must not claim the same path pattern for the same method. */
function checkRoutesTogether(routes: unknown[], p: Problems): void {
  const names = new Map<string, number>();
  const seen: { i: number; path: string; ci: boolean; methods: Set<string> }[] = [];
  routes.forEach((r, i) => {
    if (!isObject(r)) return;
    if (typeof r.name === 'string') {
      const first = names.get(r.name);
      if (first === undefined) names.set(r.name, i);
      else p.add(['routes', i, 'name'], `is already the name of routes[${first}]`);
    }
    const m = r.match;
    if (!isObject(m) || typeof m.path !== 'string') return;
    const methods = new Set(
      Array.isArray(m.methods)
        ? m.methods.filter((x): x is string => typeof x === 'string').map((x) => x.toUpperCase())
        : DEFAULTS.methods,
    );
    const ci = m.case_insensitive === true;
    for (const other of seen) {
      const same = ci || other.ci ? other.path.toLowerCase() === m.path.toLowerCase() : other.path === m.path;
      const shared = [...methods].filter((x) => other.methods.has(x));
      if (same && shared.length > 0) {
        p.add(['routes', i, 'match'], `same path as routes[${other.i}] for ${shared.join(', ')}`);
        break;
      }
    }
    seen.push({ i, path: m.path, ci, methods });
  });
}

function pathPatternProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return 'must start with /';
  if (path.includes('%')) return 'must not contain % (write the path decoded)';
  if (!PATH_CHARS.test(path)) return "may contain only letters, digits and -._~!$&'()*+,;=:@/";
  if (path.includes('//')) return 'must not contain //';
  const segments = path.split('/').slice(1);
  if (segments.some((s) => s === '.' || s === '..')) return 'must not contain . or .. segments';
  const star = segments.findIndex((s) => s.includes('*'));
  if (star !== -1 && (star !== segments.length - 1 || segments[star] !== '*'))
    return 'may use * only as the whole last segment, as in /orders/*';
  return undefined;
}

function httpUrlProblem(value: string): string | undefined {
  // Printable ASCII without backslashes: URL parsing would otherwise silently rewrite the value.
  if (!/^[\x21-\x5b\x5d-\x7e]+$/.test(value)) return 'must be an http(s) URL';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an http(s) URL';
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname)
    return 'must be an http(s) URL';
  const authority = value.slice(url.protocol.length).replace(/^\/\//, '').split(/[/?#]/)[0];
  if (authority.includes('@')) return 'must not include credentials';
  if (value.includes('?')) return 'must not include a query';
  if (value.includes('#')) return 'must not include a fragment';
  return undefined;
}

function redisUrlProblem(value: string): string | undefined {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  return url && (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname
    ? undefined
    : 'must be a redis:// or rediss:// URL';
}

function isMethod(m: string): m is (typeof ROUTE_METHODS)[number] {
  return (ROUTE_METHODS as readonly string[]).includes(m);
}

// ---- Numbers ------------------------------------------------------------------------------------

/** A parsed number, `invalid` (with the reason), or undefined when absent or of the wrong type. */
type Parsed = number | { invalid: string } | undefined;

function wholeNumberOf(v: unknown): Parsed {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  return /^[0-9]{1,15}$/.test(v) ? Number(v) : { invalid: 'must be a whole number' };
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: MIB, gb: 1024 * MIB };

function durationOf(v: unknown): Parsed {
  return withUnit(v, /^([0-9]{1,9}(?:\.[0-9]{1,3})?)(ms|s|m|h)?$/, DURATION_UNITS, 'ms', DURATION_HINT);
}

function sizeOf(v: unknown): Parsed {
  return withUnit(v, /^([0-9]{1,12}(?:\.[0-9]{1,3})?)(b|kb|mb|gb)?$/i, SIZE_UNITS, 'b', SIZE_HINT);
}

function withUnit(
  v: unknown,
  pattern: RegExp,
  units: Record<string, number>,
  bare: string,
  hint: string,
): Parsed {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const m = pattern.exec(v);
  if (!m) return { invalid: `must be ${hint}` };
  const value = Number(m[1]) * units[(m[2] ?? bare).toLowerCase()];
  return Number.isInteger(value) ? value : { invalid: `must be ${hint}` };
}

interface Range {
  min: number;
  max: number;
  /** The message for a value below min. */
  below: string;
  show?: (n: number) => string;
}

function checkRange(p: Problems, at: Segment[], v: Parsed, range: Range): void {
  if (v === undefined) return;
  if (typeof v === 'object') p.add(at, v.invalid);
  else if (v < range.min) p.add(at, range.below);
  else if (v > range.max) p.add(at, `must be at most ${(range.show ?? String)(range.max)}`);
}

const POSITIVE = 'must be greater than 0';

function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const)
    if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

function formatSize(bytes: number): string {
  for (const [unit, size] of [
    ['gb', 1024 * MIB],
    ['mb', MIB],
    ['kb', 1024],
  ] as const)
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  return `${bytes} bytes`;
}

function redisHost(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
}

// ---- The finished object ------------------------------------------------------------------------

function build(c: RawConfig, env: NodeJS.ProcessEnv): GatewayConfig {
  const redisUrl = c.redis_url ?? (env.REDIS_URL || undefined);
  return {
    listen: {
      host: c.listen?.host ?? DEFAULTS.host,
      port: number(wholeNumberOf(c.listen?.port)) ?? DEFAULTS.port,
    },
    issuer: c.issuer,
    client: { id: c.client.id, secret: c.client.secret },
    failClosed: c.fail_closed ?? DEFAULTS.failClosed,
    maxBodyBytes: number(sizeOf(c.max_body_bytes)) ?? DEFAULTS.maxBodyBytes,
    ...(redisUrl ? { redisUrl } : {}),
    routes: c.routes.map(buildRoute),
  };
}

function buildRoute(r: RawRoute): RouteConfig {
  const claims: Record<string, string> = {};
  for (const [field, category] of Object.entries(r.claims ?? {})) define(claims, field, category);
  return {
    name: r.name,
    match: {
      path: r.match.path,
      methods: r.match.methods
        ? [...new Set(r.match.methods.map((m) => m.toUpperCase()))]
        : [...DEFAULTS.methods],
      caseInsensitive: r.match.case_insensitive ?? false,
    },
    upstream: r.upstream,
    ...(r.audience !== undefined ? { audience: r.audience } : {}),
    scopes: [...new Set(r.scopes ?? [])],
    scopesAny: [...new Set(r.scopes_any ?? [])],
    public: r.public ?? false,
    claims,
    ...(r.rate_limit
      ? {
          rateLimit: {
            perClient: number(wholeNumberOf(r.rate_limit.per_client))!,
            windowMs: number(durationOf(r.rate_limit.window))!,
          },
        }
      : {}),
    timeoutMs: number(durationOf(r.timeout)) ?? DEFAULTS.timeoutMs,
    forwardToken: r.forward_token ?? false,
  };
}

function number(v: Parsed): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

// ---- Problems and paths -------------------------------------------------------------------------

class Problems {
  readonly list: { at: Segment[]; message: string; fromEnv: boolean }[] = [];

  add(at: Segment[], message: string, fromEnv = false): void {
    this.list.push({ at, message, fromEnv });
  }

  check(at: Segment[], message: string | undefined): void {
    if (message) this.add(at, message);
  }

  /** ajv's instancePath is a JSON pointer; walking the data tells array indexes from keys like "0". */
  addAjv(e: ErrorObject, data: unknown): void {
    const at: Segment[] = [];
    let node = data;
    for (const token of e.instancePath.split('/').slice(1)) {
      const key = token.replace(/~1/g, '/').replace(/~0/g, '~');
      const segment = Array.isArray(node) ? Number(key) : key;
      at.push(segment);
      node = isObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[segment] : undefined;
    }
    if (e.keyword === 'required') at.push(String(e.params.missingProperty));
    if (e.keyword === 'additionalProperties') at.push(String(e.params.additionalProperty));
    this.add(at, ajvMessage(e));
  }

  /**
   * Settings first, then each route's problems in route order. A value whose `${…}` could not be
   * substituted reports only that, not what its unsubstituted text fails.
   */
  sorted(): ConfigProblem[] {
    const envPaths = this.list.filter((x) => x.fromEnv).map((x) => renderPath(x.at));
    const routeIndex = (at: Segment[]) => (at[0] === 'routes' && typeof at[1] === 'number' ? at[1] : -1);
    return this.list
      .filter((x) => x.fromEnv || !envPaths.some((e) => isWithin(renderPath(x.at), e)))
      .map((x, order) => ({ x, order }))
      .sort((a, b) => routeIndex(a.x.at) - routeIndex(b.x.at) || a.order - b.order)
      .map(({ x }) => ({ path: renderPath(x.at), message: x.message }));
  }
}

function isWithin(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

function renderPath(at: Segment[]): string {
  if (at.length === 0) return '(root)';
  return at
    .map((s, i) => {
      if (typeof s === 'number') return `[${s}]`;
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) return i === 0 ? s : `.${s}`;
      return `[${JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}…` : s)}]`;
    })
    .join('');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Own data property, even for a key such as `__proto__`. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
