import { Logger } from '@nestjs/common';

/**
 * Errors that say "the database (or Redis, when it holds the shared counters) cannot be reached right now" rather than "this request or this code
 * is wrong": the server is down or restarting, the connection was cut, every connection slot is taken,
 * the pool could not hand out a connection in time. Callers answer 503 and retry later; they never
 * treat them as a bug (500) or as a verdict about the request (401).
 */
const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** SQLSTATEs: class 08 (connection exception), 57P01-57P03 (shutdown, crash, not yet accepting), 53300. */
const UNAVAILABLE_SQLSTATES = /^(08...|57P0[123]|53300)$/;
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection is not queryable',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end',
  'the database system is',
  // TypeORM: a transaction whose connection died under it (its query runner was released meanwhile).
  'query runner was already released',
  'Query runner already released',
  // ioredis (REDIS_URL: the shared rate-limit counters): the server did not answer in time, or went away.
  'Reached the max retries per request limit',
  'Connection is closed',
  "Stream isn't writeable",
];

/** The short name of the failure, for metrics and logs (never the address or the driver text). */
export function unavailableKind(err: unknown): string | undefined {
  for (let e = err as Record<string, unknown> | undefined, depth = 0; e && depth < 4; depth++) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code && UNAVAILABLE_NODE_CODES.has(code)) return code;
    if (code && UNAVAILABLE_SQLSTATES.test(code)) return code;
    const message = typeof e.message === 'string' ? e.message : '';
    const m = UNAVAILABLE_MESSAGES.find((s) => message.includes(s));
    if (m) return m.startsWith('timeout') ? 'pool timeout' : m.toLowerCase();
    // Node's AggregateError (IPv4 and IPv6 both refused) and TypeORM's QueryFailedError wrap the cause.
    const inner = (e.errors as unknown[] | undefined)?.[0] ?? e.driverError ?? e.cause;
    e = inner as Record<string, unknown> | undefined;
  }
  return undefined;
}

export function isDatabaseUnavailable(err: unknown): boolean {
  return unavailableKind(err) !== undefined;
}

/** Seconds a client should wait before retrying while the database is away (the Retry-After header). */
export const RETRY_AFTER_SECONDS = 2;

/**
 * One log line per kind of database failure per interval: an outage fails every request, and a line
 * (let alone a stack trace) per request would bury everything else. The next line after a quiet
 * interval says how many were suppressed.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = 10_000,
  ) {}

  /** Logs `message` unless the same `kind` was logged within the interval; returns whether it did. */
  error(kind: string, message: string): boolean {
    const now = Date.now();
    const seen = this.last.get(kind);
    if (seen && now - seen.at < this.intervalMs) {
      seen.suppressed++;
      return false;
    }
    const extra = seen?.suppressed ? ` (${seen.suppressed} similar suppressed in the last interval)` : '';
    this.last.set(kind, { at: now, suppressed: 0 });
    this.logger.error(`${message}${extra}`);
    return true;
  }
}
