import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AuditService, type AuditEventInput } from '../../audit/audit.service';
import type { AppConfig } from '../../config/env';
import type { RequestMeta } from '../../platform/http/request-meta';
import { COUNTER_STORE, type CounterStore } from '../../platform/rate-limit/counter-store';

/** Longer than ids the authenticator looks up (128): not counted per client, only per address. */
const MAX_COUNTED_CLIENT_ID = 128;

/**
 * Limits on FAILED client authentications, in the shared counters (docs/architecture.md, "Rate
 * limits"), checked before any presented secret or API key is evaluated:
 * - per (client_id, address) pair, tight (CLIENT_AUTH_MAX_FAILURES_PER_PAIR): stops guessing
 *   one client's secret from one address without touching that client elsewhere;
 * - per address, any client_id (CLIENT_AUTH_MAX_FAILURES_PER_ADDRESS): stops spraying many ids;
 * - per client_id, any address (CLIENT_AUTH_MAX_FAILURES_PER_CLIENT), loose: a distributed attack on
 *   one client. This one is a lockout an attacker can trigger for a legitimate client, hence loose.
 *
 * Only failures are counted, after the fact: reserving every attempt (as sign-ins do) would make a busy
 * legitimate client with many requests in flight look like an attacker. The check and the count are
 * therefore not one atomic step; concurrent failures can overshoot a limit by the number in flight,
 * which is harmless for the high-entropy secrets and keys of clients (unlike user passwords).
 */
@Injectable()
export class ClientAuthThrottle {
  private readonly windowMs: number;
  private readonly limits: { pair: number; address: number; client: number };

  constructor(
    @Inject(COUNTER_STORE) private readonly store: CounterStore,
    @Inject(ConfigService) config: ConfigService<AppConfig, true>,
  ) {
    this.windowMs = config.get('CLIENT_AUTH_THROTTLE_WINDOW', { infer: true }) * 1000;
    this.limits = {
      pair: config.get('CLIENT_AUTH_MAX_FAILURES_PER_PAIR', { infer: true }),
      address: config.get('CLIENT_AUTH_MAX_FAILURES_PER_ADDRESS', { infer: true }),
      client: config.get('CLIENT_AUTH_MAX_FAILURES_PER_CLIENT', { infer: true }),
    };
  }

  /** Seconds until a client authentication may be attempted again, or 0. */
  async retryAfter(clientId: string | undefined, ip: string): Promise<number> {
    const keys = this.keys(clientId, ip);
    const counts = await this.store.peek(keys.map((k) => k.key));
    let waitMs = 0;
    counts.forEach((c, i) => {
      if (c.count >= keys[i].max) waitMs = Math.max(waitMs, c.resetInMs);
    });
    return waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : 0;
  }

  async failed(clientId: string | undefined, ip: string): Promise<void> {
    await this.store.increment(
      this.keys(clientId, ip).map((k) => k.key),
      this.windowMs,
    );
  }

  private keys(clientId: string | undefined, ip: string) {
    const keys = [{ key: `client-auth:addr:${ip}`, max: this.limits.address }];
    if (clientId !== undefined && clientId.length <= MAX_COUNTED_CLIENT_ID) {
      const id = encodeURIComponent(clientId);
      keys.push(
        { key: `client-auth:pair:${ip}:${id}`, max: this.limits.pair },
        { key: `client-auth:client:${id}`, max: this.limits.client },
      );
    }
    return keys;
  }
}

export const AGGREGATED_FAILURES_EVENT = 'client.authentication_failed.aggregated';

/**
 * Audits failed client authentications per source address at a bounded rate: the first failure of an
 * address in CLIENT_AUTH_AUDIT_INTERVAL is written as it is (`client.authentication_failed`); the
 * failures after it in that interval are only counted (in the shared counters, across instances) and
 * written as ONE `client.authentication_failed.aggregated` event with `details.count` when the interval
 * ends. So an unauthenticated caller adds at most two audit rows per address and interval.
 *
 * The instance that wrote the first event writes the aggregate (or earlier, when it shuts down); should
 * it die in between, that interval's count is lost, never the first event.
 */
@Injectable()
export class FailureAuditAggregator implements OnModuleDestroy {
  private readonly log = new Logger(FailureAuditAggregator.name);
  private readonly intervalMs: number;
  private readonly pending = new Map<string, { timer: NodeJS.Timeout; meta: RequestMeta }>();

  constructor(
    @Inject(COUNTER_STORE) private readonly store: CounterStore,
    private readonly audit: AuditService,
    @Inject(ConfigService) config: ConfigService<AppConfig, true>,
  ) {
    this.intervalMs = config.get('CLIENT_AUTH_AUDIT_INTERVAL', { infer: true }) * 1000;
  }

  async record(event: AuditEventInput & { meta: RequestMeta }): Promise<void> {
    const key = this.key(event.meta.ip);
    // The counter outlives the interval so that it is still there when the interval's end takes it.
    const [{ count }] = await this.store.increment([key], 2 * this.intervalMs);
    if (count > 1) return;
    await this.audit.record(event);
    const meta = { requestId: event.meta.requestId, ip: event.meta.ip };
    const timer = setTimeout(() => void this.flush(key, meta), this.intervalMs).unref();
    clearTimeout(this.pending.get(key)?.timer);
    this.pending.set(key, { timer, meta });
  }

  async onModuleDestroy(): Promise<void> {
    const all = [...this.pending.entries()];
    for (const [, { timer }] of all) clearTimeout(timer);
    await Promise.all(all.map(([key, { meta }]) => this.flush(key, meta)));
  }

  private async flush(key: string, meta: RequestMeta): Promise<void> {
    this.pending.delete(key);
    try {
      const count = (await this.store.take(key)) - 1;
      if (count <= 0) return;
      await this.audit.record({
        type: AGGREGATED_FAILURES_EVENT,
        outcome: 'failure',
        actor: null,
        clientId: null,
        details: { count, interval_seconds: this.intervalMs / 1000 },
        meta: { requestId: meta.requestId, ip: meta.ip },
      });
    } catch (err) {
      this.log.warn(`auditing repeated client-authentication failures failed: ${(err as Error).message}`);
    }
  }

  private key(ip: string) {
    return `client-auth:audit:${ip}`;
  }
}
