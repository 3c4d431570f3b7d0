import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
  validateSync,
} from 'class-validator';
import { isTrustProxy, parseTrustProxy } from './trust-proxy';
import { ACCEPTED_ALGORITHMS, type AcceptedAlgorithm } from '@scopegate/nest/core';

/** The algorithms signing keys may use: every one resource servers accept (RFC 8725 §3.1). */
export const SIGNING_ALGORITHMS = ACCEPTED_ALGORITHMS;
export type SigningAlgorithm = AcceptedAlgorithm;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
};
const emptyToUndefined = ({ value }: { value: unknown }) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/** AUDIT_KEY's bytes: hex when it is only hex digits, else base64 or base64url. */
export function decodeAuditKey(value: string): Buffer {
  return /^(?:[0-9a-fA-F]{2})+$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
}

function isAuditKey(value: string): boolean {
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) && decodeAuditKey(value).length >= 32;
}

/**
 * Every setting Scopegate reads from the environment. `.env.example` documents each one;
 * keep the two in step.
 */
export class Env {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 0 and 65535' })
  @Min(0, { message: 'must be an integer between 0 and 65535' })
  @Max(65535, { message: 'must be an integer between 0 and 65535' })
  PORT = 3000;

  @IsString()
  HOST = '127.0.0.1';

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, {
    message: 'must be an http(s) URL without query or fragment',
  })
  ISSUER?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/[^\s]+$/, { message: 'must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 1 and 200' })
  @Min(1, { message: 'must be an integer between 1 and 200' })
  @Max(200, { message: 'must be an integer between 1 and 200' })
  DATABASE_POOL_SIZE = 10;

  @Transform(toBool)
  @IsBoolean({ message: 'must be true or false' })
  MIGRATIONS_RUN = true;

  @IsString()
  @MinLength(1)
  DATA_DIR = './.data';

  @IsIn(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';

  /** false, true (refused in production) or the proxies to believe: addresses, CIDRs, `loopback`. */
  @Transform(parseTrustProxy)
  @ValidateBy(
    { name: 'isTrustProxy', validator: { validate: isTrustProxy } },
    {
      message: 'must be false, or a comma-separated list of proxy addresses or CIDR ranges (e.g. 10.0.0.0/8)',
    },
  )
  TRUST_PROXY: boolean | string[] = false;

  /** Milliseconds a client has to send a whole request, headers and body (slow-body cut-off). */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 1000 and 600000' })
  @Min(1000, { message: 'must be an integer between 1000 and 600000' })
  @Max(600000, { message: 'must be an integer between 1000 and 600000' })
  HTTP_REQUEST_TIMEOUT_MS = 30000;

  /** Milliseconds a client has to send the request headers (at most HTTP_REQUEST_TIMEOUT_MS). */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 1000 and 600000' })
  @Min(1000, { message: 'must be an integer between 1000 and 600000' })
  @Max(600000, { message: 'must be an integer between 1000 and 600000' })
  HTTP_HEADERS_TIMEOUT_MS = 10000;

  /** Milliseconds an idle keep-alive connection stays open after a response. */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 1000 and 600000' })
  @Min(1000, { message: 'must be an integer between 1000 and 600000' })
  @Max(600000, { message: 'must be an integer between 1000 and 600000' })
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 72000;

  /** Milliseconds without any byte in either direction before a socket is closed. */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 1000 and 3600000' })
  @Min(1000, { message: 'must be an integer between 1000 and 3600000' })
  @Max(3600000, { message: 'must be an integer between 1000 and 3600000' })
  HTTP_CONNECTION_TIMEOUT_MS = 120000;

  /** Requests served on one keep-alive connection before it is closed (0 = no limit). */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 0 and 1000000' })
  @Min(0, { message: 'must be an integer between 0 and 1000000' })
  @Max(1000000, { message: 'must be an integer between 0 and 1000000' })
  HTTP_MAX_REQUESTS_PER_SOCKET = 1000;

  /** 32 bytes, base64 or base64url: encrypts signing keys at rest (AES-256-GCM). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9+/_-]{43}=?$/, { message: 'must be 32 random bytes, base64 or base64url encoded' })
  KEYS_ENCRYPTION_KEY?: string;

  /**
   * At least 32 random bytes, hex or base64/base64url: keys the audit hash chain and signs its checkpoints
   * (HMAC-SHA-256). Never stored in the database, so that whoever can write the database cannot recompute
   * the chain.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @ValidateBy(
    { name: 'isAuditKey', validator: { validate: (v: unknown) => typeof v === 'string' && isAuditKey(v) } },
    { message: 'must be at least 32 random bytes, hex or base64/base64url encoded' },
  )
  AUDIT_KEY?: string;

  /** Seconds between audit checkpoints: the chain is verified from the last one and a signed one recorded (0 = off). */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 0 and 86400 (0 = off)' })
  @Min(0, { message: 'must be an integer between 0 and 86400 (0 = off)' })
  @Max(86400, { message: 'must be an integer between 0 and 86400 (0 = off)' })
  AUDIT_CHECKPOINT_INTERVAL = 300;

  /** Key of the HMAC-SHA-256 under which client secrets and API keys are stored. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'must be at least 32 characters' })
  SECRET_PEPPER?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9._~-]{3,64}$/, { message: 'must be 3-64 characters of [A-Za-z0-9._~-]' })
  ADMIN_CLIENT_ID?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'must be at least 32 characters' })
  @MaxLength(512)
  ADMIN_CLIENT_SECRET?: string;

  /** Seeds the demo catalog, customers and clients. Defaults to on in zero-setup mode. */
  @Transform(toBool)
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  SEED_DEMO?: boolean;

  /** With SEED_DEMO: also the demo clients and user (printed secrets). Default: on outside production; refused in production. */
  @Transform(toBool)
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  SEED_DEMO_PRINCIPALS?: boolean;

  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 60 and 3600' })
  @Min(60, { message: 'must be an integer between 60 and 3600' })
  @Max(3600, { message: 'must be an integer between 60 and 3600' })
  ACCESS_TOKEN_TTL = 300;

  /** `aud` of access tokens (RFC 9068 §3): the resource servers' identifier. Default: ISSUER. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MaxLength(256)
  ACCESS_TOKEN_AUDIENCE?: string;

  @IsIn(SIGNING_ALGORITHMS, { message: `must be one of ${SIGNING_ALGORITHMS.join(', ')}` })
  SIGNING_ALG: SigningAlgorithm = 'ES256';

  /** Automatic signing-key rotation: a key older than this many seconds is replaced (0 = only on demand). */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer number of seconds (0 = off)' })
  @Min(0, { message: 'must be an integer number of seconds (0 = off)' })
  KEY_ROTATION_INTERVAL = 30 * 86400;

  /** Seconds a new key is published in the JWKS before it signs, so caches pick it up first. */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 0 and 86400' })
  @Min(0, { message: 'must be an integer between 0 and 86400' })
  @Max(86400, { message: 'must be an integer between 0 and 86400' })
  KEY_PUBLISH_LEAD = 600;

  /** Seconds a rotated client secret keeps working. */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 0 and 2592000' })
  @Min(0, { message: 'must be an integer between 0 and 2592000' })
  @Max(2592000, { message: 'must be an integer between 0 and 2592000' })
  CLIENT_SECRET_ROTATION_GRACE = 86400;

  /** Absolute lifetime (s) of a refresh-token family, counted from the code exchange. */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 300 and 31536000' })
  @Min(300, { message: 'must be an integer between 300 and 31536000' })
  @Max(31536000, { message: 'must be an integer between 300 and 31536000' })
  REFRESH_TOKEN_TTL = 2592000;

  /** Idle lifetime (s): a refresh token unused for this long expires (never beyond REFRESH_TOKEN_TTL). */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 60 and 31536000' })
  @Min(60, { message: 'must be an integer between 60 and 31536000' })
  @Max(31536000, { message: 'must be an integer between 60 and 31536000' })
  REFRESH_TOKEN_IDLE_TTL = 1209600;

  /** Lifetime (s) of the sign-in session cookie of the login and consent pages. */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 60 and 86400' })
  @Min(60, { message: 'must be an integer between 60 and 86400' })
  @Max(86400, { message: 'must be an integer between 60 and 86400' })
  LOGIN_SESSION_TTL = 3600;

  /**
   * `POST /auth` (simple login, a password grant RFC 9700 §2.4 advises against). Default: on outside
   * production, off in production. Clients and users still need their own `simple_login` flag.
   */
  @Transform(toBool)
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  SIMPLE_LOGIN?: boolean;

  /** Serve /metrics on this port only (and not on PORT). Default: on PORT. */
  @Transform(toInt)
  @IsOptional()
  @IsInt({ message: 'must be an integer between 1 and 65535' })
  @Min(1, { message: 'must be an integer between 1 and 65535' })
  @Max(65535, { message: 'must be an integer between 1 and 65535' })
  METRICS_PORT?: number;

  /** When set, /metrics requires `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'must be at least 32 characters' })
  @MaxLength(512)
  @Matches(/^[A-Za-z0-9\-._~+/]+=*$/, {
    message: 'must be a bearer token (RFC 6750 §2.1 b64token characters)',
  })
  METRICS_TOKEN?: string;

  /**
   * redis:// or rediss:// URL: rate-limit counters are kept there instead of in PostgreSQL
   * (both are shared by every instance).
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^rediss?:\/\/[^\s]+$/, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  /** Seconds of the window in which failed sign-ins are counted. */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 60 and 86400' })
  @Min(60, { message: 'must be an integer between 60 and 86400' })
  @Max(86400, { message: 'must be an integer between 60 and 86400' })
  LOGIN_THROTTLE_WINDOW = 900;

  /** Sign-in attempts per username and window before it is throttled (a success resets it). */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 1 and 1000' })
  @Min(1, { message: 'must be an integer between 1 and 1000' })
  @Max(1000, { message: 'must be an integer between 1 and 1000' })
  LOGIN_MAX_FAILURES_PER_USERNAME = 5;

  /** Failed sign-in attempts per client address and window before it is throttled. */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 1 and 100000' })
  @Min(1, { message: 'must be an integer between 1 and 100000' })
  @Max(100000, { message: 'must be an integer between 1 and 100000' })
  LOGIN_MAX_FAILURES_PER_ADDRESS = 20;

  /** Password verifications (argon2id) run at once; more wait in the queue. */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 1 and 64' })
  @Min(1, { message: 'must be an integer between 1 and 64' })
  @Max(64, { message: 'must be an integer between 1 and 64' })
  PASSWORD_HASH_CONCURRENCY = 2;

  /** Password verifications waiting for a slot; beyond that a sign-in is refused at once (Retry-After). */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 0 and 10000' })
  @Min(0, { message: 'must be an integer between 0 and 10000' })
  @Max(10000, { message: 'must be an integer between 0 and 10000' })
  PASSWORD_HASH_QUEUE = 32;

  /** Seconds of the window in which failed client authentications are counted. */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 1 and 86400' })
  @Min(1, { message: 'must be an integer between 1 and 86400' })
  @Max(86400, { message: 'must be an integer between 1 and 86400' })
  CLIENT_AUTH_THROTTLE_WINDOW = 300;

  /** Failed client authentications per (client_id, address) pair and window before that pair gets 429. */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 1 and 100000' })
  @Min(1, { message: 'must be an integer between 1 and 100000' })
  @Max(100000, { message: 'must be an integer between 1 and 100000' })
  CLIENT_AUTH_MAX_FAILURES_PER_PAIR = 10;

  /** Failed client authentications per address (any client_id) and window before that address gets 429. */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 1 and 1000000' })
  @Min(1, { message: 'must be an integer between 1 and 1000000' })
  @Max(1000000, { message: 'must be an integer between 1 and 1000000' })
  CLIENT_AUTH_MAX_FAILURES_PER_ADDRESS = 50;

  /** Failed client authentications per client_id (any address) and window before that client gets 429 everywhere. */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 1 and 1000000' })
  @Min(1, { message: 'must be an integer between 1 and 1000000' })
  @Max(1000000, { message: 'must be an integer between 1 and 1000000' })
  CLIENT_AUTH_MAX_FAILURES_PER_CLIENT = 500;

  /** Seconds over which repeated client-authentication failures of one address are audited as one event. */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 1 and 3600' })
  @Min(1, { message: 'must be an integer between 1 and 3600' })
  @Max(3600, { message: 'must be an integer between 1 and 3600' })
  CLIENT_AUTH_AUDIT_INTERVAL = 60;

  /** Milliseconds to wait for in-flight requests on shutdown. */
  @Transform(toInt)
  @IsInt({ message: 'must be an integer between 0 and 120000' })
  @Min(0, { message: 'must be an integer between 0 and 120000' })
  @Max(120000, { message: 'must be an integer between 0 and 120000' })
  SHUTDOWN_TIMEOUT_MS = 10000;
}

/** Validated settings with every default applied. */
export type AppConfig = Env & {
  ISSUER: string;
  ACCESS_TOKEN_AUDIENCE: string;
  KEYS_ENCRYPTION_KEY: string;
  SECRET_PEPPER: string;
  AUDIT_KEY: string;
  SEED_DEMO: boolean;
  SEED_DEMO_PRINCIPALS: boolean;
  SIMPLE_LOGIN: boolean;
  /** True when no DATABASE_URL is given and the embedded PostgreSQL is used. */
  EMBEDDED_DATABASE: boolean;
};

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`Invalid configuration: ${variable} ${reason}`);
    this.name = 'ConfigError';
  }
}

const PLACEHOLDER = /change[-_ ]?me|placeholder|example|^x+$|^(.)\1+$/i;

/**
 * Validates the raw environment and applies defaults. Throws a {@link ConfigError} that names
 * the first offending variable. Secrets still missing afterwards are the caller's to fill
 * (see `zero-setup-secrets.ts`) before {@link finalizeConfig}.
 */
export function validateEnv(raw: Record<string, string | undefined>): Env {
  const known = Object.fromEntries(
    Object.keys(new Env())
      .concat(envOptionalKeys)
      .map((k) => [k, raw[k]]),
  );
  for (const k of Object.keys(known)) if (known[k] === undefined) delete known[k];
  const env = plainToInstance(Env, known, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false, forbidUnknownValues: true });
  if (errors.length > 0) {
    const first = errors[0];
    const reason = Object.values(first.constraints ?? {})[0] ?? 'is invalid';
    throw new ConfigError(first.property, reason.replace(new RegExp(`^${first.property} `), ''));
  }
  return env;
}

const envOptionalKeys = [
  'ISSUER',
  'DATABASE_URL',
  'KEYS_ENCRYPTION_KEY',
  'SECRET_PEPPER',
  'AUDIT_KEY',
  'ADMIN_CLIENT_ID',
  'ADMIN_CLIENT_SECRET',
  'SEED_DEMO',
  'SEED_DEMO_PRINCIPALS',
  'ACCESS_TOKEN_AUDIENCE',
  'SIMPLE_LOGIN',
  'METRICS_PORT',
  'METRICS_TOKEN',
  'REDIS_URL',
];

/** Applies the derived defaults and the production rules. */
export function finalizeConfig(env: Env): AppConfig {
  const production = env.NODE_ENV === 'production';
  for (const name of ['KEYS_ENCRYPTION_KEY', 'SECRET_PEPPER', 'AUDIT_KEY'] as const) {
    const value = env[name];
    if (!value) throw new ConfigError(name, 'is required (generated automatically only in zero-setup mode)');
    if (production && PLACEHOLDER.test(value))
      throw new ConfigError(name, 'looks like a placeholder; set a random value');
  }
  if (production && env.METRICS_TOKEN && PLACEHOLDER.test(env.METRICS_TOKEN)) {
    throw new ConfigError('METRICS_TOKEN', 'looks like a placeholder; set a random value');
  }
  if (env.METRICS_PORT !== undefined && env.METRICS_PORT === env.PORT) {
    throw new ConfigError('METRICS_PORT', 'must differ from PORT');
  }
  if (production && env.ADMIN_CLIENT_SECRET && PLACEHOLDER.test(env.ADMIN_CLIENT_SECRET)) {
    throw new ConfigError('ADMIN_CLIENT_SECRET', 'looks like a placeholder; set a random value');
  }
  if (Boolean(env.ADMIN_CLIENT_ID) !== Boolean(env.ADMIN_CLIENT_SECRET)) {
    throw new ConfigError(
      env.ADMIN_CLIENT_ID ? 'ADMIN_CLIENT_SECRET' : 'ADMIN_CLIENT_ID',
      'must be set together with the other ADMIN_CLIENT_* variable',
    );
  }
  if (production && env.TRUST_PROXY === true) {
    throw new ConfigError(
      'TRUST_PROXY',
      'must not be true in production: it believes any X-Forwarded-For; list the proxy addresses or CIDR ranges',
    );
  }
  if (production && env.SEED_DEMO_PRINCIPALS) {
    throw new ConfigError(
      'SEED_DEMO_PRINCIPALS',
      'must not be true in production: demo clients and users have well-known roles and printed secrets',
    );
  }
  if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS', 'must not exceed HTTP_REQUEST_TIMEOUT_MS');
  }
  const embedded = !env.DATABASE_URL;
  const issuer = (env.ISSUER ?? `http://localhost:${env.PORT}`).replace(/\/+$/, '');
  return Object.assign(env, {
    ISSUER: issuer,
    ACCESS_TOKEN_AUDIENCE: env.ACCESS_TOKEN_AUDIENCE ?? issuer,
    KEYS_ENCRYPTION_KEY: env.KEYS_ENCRYPTION_KEY!,
    SECRET_PEPPER: env.SECRET_PEPPER!,
    AUDIT_KEY: env.AUDIT_KEY!,
    SEED_DEMO: env.SEED_DEMO ?? embedded,
    SEED_DEMO_PRINCIPALS: env.SEED_DEMO_PRINCIPALS ?? !production,
    SIMPLE_LOGIN: env.SIMPLE_LOGIN ?? !production,
    EMBEDDED_DATABASE: embedded,
  });
}
