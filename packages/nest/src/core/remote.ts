import { TemporarilyUnavailableError } from './errors';

/** Where a resource server finds Scopegate, and how it authenticates to it. */
export interface IssuerConnection {
  /** The authorization server's issuer identifier (RFC 8414 §2); metadata is read from it. */
  issuer: string;
  /** A confidential client with scope `scopegate:resource-server`. */
  clientId: string;
  clientSecret: string;
  /** Time limit of each request to the authorization server. Default 5 s. */
  requestTimeoutMs?: number;
  /** The fetch to use (tests, proxies). Default: the global fetch. */
  fetch?: typeof fetch;
}

/** The authorization server could not be reached or answered with a server error. */
export class IssuerUnreachableError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`Scopegate at ${new URL(url).origin} is not reachable (${reason})`);
  }
}

/** The authorization server refused this resource server's own client credentials or token. */
export class IssuerRefusedError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    readonly error: string | undefined,
    readonly description: string | undefined,
  ) {
    super(
      `Scopegate refused ${new URL(url).pathname} with ${status}${error ? ` ${error}` : ''}` +
        (description ? `: ${description}` : ''),
    );
  }
}

/** Which errors mean "try again later" (503 to callers) rather than "this is misconfigured". */
export const isTransient = (err: unknown): boolean =>
  err instanceof IssuerUnreachableError ||
  (err instanceof IssuerRefusedError && (err.status >= 500 || err.status === 429));

export function unavailable(err: unknown): TemporarilyUnavailableError {
  return new TemporarilyUnavailableError(
    2,
    'The authorization server cannot be reached to check this token; retry later',
    err instanceof Error ? err.message : String(err),
  );
}

export const basicAuthorization = (clientId: string, secret: string): string =>
  // RFC 6749 §2.3.1: each part form-urlencoded before Basic encoding.
  'Basic ' + Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64');

/** A URL of the authorization server that is not in its metadata (Scopegate's resource-server API). */
export const issuerUrl = (issuer: string, path: string): string =>
  new URL(path, issuer.endsWith('/') ? issuer : `${issuer}/`).toString();

const MAX_JSON_BYTES = 4 << 20;

/**
 * One request to the authorization server with a time limit, answered as JSON. Connection errors and
 * 5xx are IssuerUnreachableError / IssuerRefusedError with the status: callers tell "away" from "refused".
 */
export async function requestJson<T>(
  conn: IssuerConnection,
  url: string,
  init: RequestInit = {},
  timeoutMs = conn.requestTimeoutMs ?? 5000,
): Promise<T> {
  const doFetch = conn.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, {
      ...init,
      headers: { accept: 'application/json', ...(init.headers as Record<string, string>) },
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new IssuerUnreachableError(url, causeOf(err));
  }
  const text = await readLimited(res, MAX_JSON_BYTES).catch((err: unknown) => {
    throw new IssuerUnreachableError(url, causeOf(err));
  });
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const b = (body ?? {}) as { error?: unknown; error_description?: unknown };
    throw new IssuerRefusedError(
      url,
      res.status,
      typeof b.error === 'string' ? b.error.slice(0, 64) : undefined,
      typeof b.error_description === 'string' ? b.error_description.slice(0, 200) : undefined,
    );
  }
  if (body === undefined || typeof body !== 'object')
    throw new IssuerRefusedError(url, res.status, 'invalid_response', 'the body is not a JSON object');
  return body as T;
}

async function readLimited(res: Response, max: number): Promise<string> {
  const length = Number(res.headers.get('content-length') ?? 0);
  if (length > max) throw new Error(`response of ${length} bytes`);
  const buf = Buffer.from(await res.arrayBuffer());
  if (buf.length > max) throw new Error(`response of ${buf.length} bytes`);
  return buf.toString('utf8');
}

/** The short reason of a fetch failure ("ECONNREFUSED", "timeout"), never a stack. */
export function causeOf(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'timeout';
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message.slice(0, 120);
  return err instanceof Error ? err.message.slice(0, 120) : String(err).slice(0, 120);
}

/** Exponential backoff with full jitter (capped). `attempt` counts from 0. */
export const backoffMs = (attempt: number, baseMs = 250, maxMs = 10_000): number =>
  Math.round(Math.random() * Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 16)));
