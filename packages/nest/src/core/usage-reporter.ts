import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { IssuerClient } from './issuer-client';
import type { ScopegateLogger } from './logger';
import { ThrottledLog } from './logger';
import { isScopeToken } from './syntax';
import { backoffMs, causeOf, IssuerRefusedError, issuerUrl, isTransient } from './remote';

/** One protected call, as reported to the authorization server's audit log (`api.call`). */
export interface UsageEvent {
  jti: string;
  method: string;
  /** The route pattern (`/orders/:id`), not the URL with its ids. */
  path: string;
  /** The name of the route that served it (a gateway route). */
  route?: string;
  status: number;
  decision: 'allowed' | 'denied';
  scopes_used?: string[];
  reason?: string;
  occurred_at: string;
  request_id?: string;
  ip?: string;
  user_agent?: string;
}

export interface UsageReporterOptions {
  /** Send at least this often while events wait. Default 1 s. */
  flushIntervalMs?: number;
  /** Events per batch (the server accepts up to 500). Default 200. */
  batchSize?: number;
  /** Events kept while the authorization server is away; beyond, the oldest are dropped and counted. */
  maxQueued?: number;
}

/**
 * Reports protected calls in batches. A batch keeps its `batch_id` across retries, so the server
 * records it once however often it is sent; batches go one at a time, in order. While the server is
 * away events wait in a bounded queue.
 */
export class UsageReporter {
  private queue: UsageEvent[] = [];
  private current?: { batch_id: string; events: UsageEvent[] };
  private timer?: NodeJS.Timeout;
  private sending?: Promise<void>;
  private failures = 0;
  private stopped = false;
  private readonly warn: ThrottledLog;
  /** Events given up on (queue overflow or a batch the server refused as invalid). */
  dropped = 0;
  /** Events the server has acknowledged. */
  delivered = 0;
  /** Events the server acknowledged but did not record (tokens of APIs this client does not serve). */
  rejected = 0;

  constructor(
    private readonly issuer: IssuerClient,
    private readonly logger: ScopegateLogger,
    private readonly options: UsageReporterOptions = {},
  ) {
    this.warn = new ThrottledLog(logger);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.options.flushIntervalMs ?? 1000).unref();
  }

  report(event: UsageEvent): void {
    if (this.stopped) return;
    this.queue.push(sanitized(event));
    const max = this.options.maxQueued ?? 50_000;
    if (this.queue.length > max) {
      const over = this.queue.length - max;
      this.queue.splice(0, over);
      this.dropped += over;
      this.warn.warn('overflow', `usage reports are queueing up; dropped ${this.dropped} so far`);
    }
    if (this.queue.length >= (this.options.batchSize ?? 200)) void this.flush();
  }

  get pending(): number {
    return this.queue.length + (this.current?.events.length ?? 0);
  }

  /** Sends what is queued (one batch at a time). Resolves when this round is done, sent or not. */
  flush(): Promise<void> {
    this.sending ??= this.sendAll().finally(() => (this.sending = undefined));
    return this.sending;
  }

  /** Stops the timer and tries, within `timeoutMs`, to send what is left. */
  async close(timeoutMs = 3000): Promise<void> {
    clearInterval(this.timer);
    const deadline = Date.now() + timeoutMs;
    while (this.pending > 0 && Date.now() < deadline) {
      await Promise.race([this.flush(), sleep(Math.max(0, deadline - Date.now()))]);
      if (this.failures > 0) await sleep(Math.min(200, Math.max(0, deadline - Date.now())));
    }
    this.stopped = true;
    if (this.pending > 0)
      this.logger.warn(`${this.pending} usage reports could not be delivered before shutdown`);
  }

  private async sendAll(): Promise<void> {
    while (this.current || this.queue.length) {
      const batch = (this.current ??= {
        batch_id: randomUUID(),
        events: this.queue.splice(0, Math.min(this.options.batchSize ?? 200, 500)),
      });
      try {
        const receipt = await this.issuer.authorized<{ rejected?: unknown }>(
          issuerUrl(this.issuer.conn.issuer, 'resource-server/usage'),
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(batch),
          },
        );
        this.delivered += batch.events.length;
        if (typeof receipt.rejected === 'number' && receipt.rejected > 0) {
          this.rejected += receipt.rejected;
          this.warn.warn(
            'rejected',
            `Scopegate refused ${this.rejected} usage reports so far: their tokens are not meant for an API ` +
              `this client serves (is it listed in the API's resource_server_clients?)`,
          );
        }
        this.current = undefined;
        this.failures = 0;
        this.warn.clear('send');
      } catch (err) {
        if (!isTransient(err) && err instanceof IssuerRefusedError && err.status === 400) {
          // The server cannot accept this batch however often it is sent.
          this.dropped += batch.events.length;
          this.current = undefined;
          this.logger.error(`usage batch refused and dropped: ${err.message}`);
          continue;
        }
        this.failures++;
        this.warn.warn(
          'send',
          `usage reports are waiting: ${err instanceof Error ? err.message : causeOf(err)}`,
        );
        // Retried by the next flush, after a backoff (same batch_id: never counted twice).
        await sleep(backoffMs(this.failures, 500, 15_000));
        return;
      }
    }
  }
}

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
const REASON = /^[a-z_]{1,64}$/;
const ROUTE = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * An event the server's validation accepts: optional fields that would not pass are left out and
 * long ones shortened, so that one odd value (a custom request id, an address behind a proxy) does
 * not lose the whole batch.
 */
function sanitized(e: UsageEvent): UsageEvent {
  const out: UsageEvent = {
    jti: e.jti,
    method: e.method,
    path: e.path.slice(0, 512),
    status: e.status,
    decision: e.decision,
    occurred_at: e.occurred_at,
  };
  if (e.route && ROUTE.test(e.route)) out.route = e.route;
  if (e.scopes_used) out.scopes_used = e.scopes_used.filter(isScopeToken).slice(0, 50);
  if (e.reason && REASON.test(e.reason)) out.reason = e.reason;
  if (e.request_id && REQUEST_ID.test(e.request_id)) out.request_id = e.request_id;
  if (e.ip && isIP(e.ip)) out.ip = e.ip;
  if (e.user_agent) out.user_agent = e.user_agent.slice(0, 512);
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());
