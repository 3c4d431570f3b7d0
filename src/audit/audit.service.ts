import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Counter } from 'prom-client';
import type { DataSource, EntityManager } from 'typeorm';
import type { AppConfig } from '../config/env';
import { RateLimitedLog, isDatabaseUnavailable, unavailableKind } from '../platform/unavailable';
import { MetricsService } from '../platform/metrics/metrics.service';
import type { RequestMeta } from '../platform/http/request-meta';
import { withoutSecrets } from '../platform/secret-fields';
import { eventHash, GENESIS_HASH } from './audit-chain';
import { AuditEventEntity, type AuditOutcome } from './audit-event.entity';
import { AuditKeys } from './audit-keys';
import { AuditSpool, type SpooledEvent } from './audit-spool';

/** What a service reports; the audit module adds id, time, request data and the chain. */
export interface AuditEventInput {
  type: string;
  outcome: AuditOutcome;
  actor?: string | null;
  subject?: string | null;
  clientId?: string | null;
  jti?: string | null;
  details?: Record<string, unknown>;
  meta?: RequestMeta;
}

/**
 * Rows of another module that must commit in the same statement as the events (the token record of
 * `token.issued`). The module that owns the table supplies `sql`: a data-modifying statement reading
 * its rows from the JSON array parameter it is handed. The writer never names that table: it collects
 * the rows of every unit in a batch that share the same `sql` function and runs each group as one CTE
 * of the batch's INSERT (docs/architecture.md).
 */
export interface CommittedWith {
  sql: (rowsParam: string) => string;
  rows: readonly object[];
}

interface Pending {
  events: AuditEventInput[];
  writes: CommittedWith[];
  at: Date;
  /** recordLater: one event, with a deduplication key; retried and spooled instead of failing. */
  key?: string;
  /** Written before, perhaps successfully (a retry or a replay): skipped if its key is stored. */
  retried?: boolean;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface ChainHead {
  id: number;
  hash: string;
}

const MAX_BATCH = 2000;
/** Above this many unwritten events, API-call events are awaited too (backpressure, bounded memory). */
const HIGH_WATER = 5000;
/** The serialized append path's lock (pg_advisory_xact_lock), distinct from every other lock key. */
const AUDIT_LOCK = 0x5c0_a0d1;
/** After a collision on the chain head, appends take the serialized path for this long. */
const CONTENDED_MS = 2000;
/** Retries of unwritten API-call events: first after RETRY_MIN_MS, doubling up to RETRY_MAX_MS. */
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5000;
/** Unwritten API-call events go to the disk spool after this long, or beyond this many. */
const SPOOL_AFTER_MS = 2000;
const SPOOL_AFTER_EVENTS = 10_000;
const AUDIT_COLUMNS = [
  'id',
  'occurred_at',
  'type',
  'outcome',
  'actor',
  'subject',
  'client_id',
  'jti',
  'request_id',
  'ip',
  'user_agent',
  'details',
  'prev_hash',
  'hash',
  'event_key',
];

/**
 * Appends events to the keyed hash chain (HMAC-SHA-256 under AUDIT_KEY, see audit-chain.ts) with group commit: whatever accumulates while a batch
 * is written forms the next batch, and a batch is ONE statement — its events and the rows that must
 * commit with them travel as JSON parameters (json_populate_recordset), chained in data-modifying
 * CTEs, so it is atomic without a multi-round-trip transaction.
 *
 * The chain head (last id and hash) is kept in memory. Ids are gapless and the primary key: if another
 * instance appended meanwhile, our first id collides and the statement fails as a whole. The batch is
 * then written on the serialized path — a transaction that takes an advisory lock, re-reads the head
 * and inserts on its own connection — and so are the batches of the next CONTENDED_MS. One instance
 * pays nothing for this; several never fail a request because they append at the same time.
 *
 * `record`/`commit` resolve once committed (security events, before the response). `recordLater`
 * (API-call events) does not wait — unless the backlog exceeds HIGH_WATER, when it returns the commit
 * for the caller to await, so memory stays bounded under overload. Pending events are flushed on shutdown.
 *
 * An API-call event whose write fails because the database is away is not dropped: it is retried with
 * back-off, spooled to DATA_DIR/audit-spool (`audit-spool.ts`) when the database stays away, replayed
 * on recovery and at start-up, and spooled on a forced shutdown. Each carries a key (event_key), so an
 * event written twice is stored once. What is lost all the same is counted and logged.
 */
@Injectable()
export class AuditService implements BeforeApplicationShutdown, OnApplicationBootstrap {
  private readonly logger = new Logger(AuditService.name);
  private readonly failureLog = new RateLimitedLog(this.logger);
  private readonly spool: AuditSpool<AuditEventInput>;
  private readonly lost: Counter;
  private readonly spooled: Counter;
  private queue: Pending[] = [];
  private queued = 0;
  private draining: Promise<void> | undefined;
  private inflight: Pending[] = [];
  private head: ChainHead | undefined;
  private contendedUntil = 0;
  /** API-call events whose write failed, waiting for the next retry. */
  private retrying: SpooledEvent<AuditEventInput>[] = [];
  private retryingSince = 0;
  private retryDelay = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryRun: Promise<void> | undefined;
  private stopped = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    metrics: MetricsService,
    private readonly keys: AuditKeys,
    @Inject(ConfigService) config: ConfigService<AppConfig, true>,
  ) {
    this.spool = new AuditSpool(join(config.get('DATA_DIR', { infer: true }), 'audit-spool'));
    metrics.gauge(
      'scopegate_audit_events_pending',
      'Audit events accepted but not yet committed (API-call events are batched)',
      () => this.pending,
    );
    metrics.gauge(
      'scopegate_audit_events_retrying',
      'API-call events whose write failed, held in memory for the next retry',
      () => this.retrying.length,
    );
    this.spooled = metrics.counter(
      'scopegate_audit_events_spooled_total',
      'API-call events written to the disk spool because the database did not take them',
    );
    this.lost = metrics.counter(
      'scopegate_audit_events_lost_total',
      'API-call events that could be neither written nor spooled (each is logged)',
    );
  }

  /** Events spooled by an earlier run (or another instance sharing DATA_DIR) are replayed at start-up. */
  onApplicationBootstrap(): void {
    if (this.spool.hasFiles()) this.scheduleRetry(0);
  }

  record(event: AuditEventInput): Promise<void> {
    return this.commit([event]);
  }

  /** Events plus rows (written by their owner's statement) that must be committed atomically with them. */
  commit(events: AuditEventInput[], writes: CommittedWith[] = []): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ events, writes, at: new Date(), resolve, reject });
      this.queued += events.length;
      this.draining ??= this.drain();
    });
  }

  /**
   * Fire-and-forget, except under backlog: then the returned promise should be awaited. It never
   * rejects: a failed write is retried, spooled, or (only when that fails too) counted as lost.
   */
  recordLater(event: AuditEventInput): Promise<void> | undefined {
    const done = new Promise<void>((resolve) => {
      this.queue.push({
        events: [event],
        writes: [],
        at: new Date(),
        key: randomUUID(),
        resolve,
        reject: () => resolve(), // failures go to the retry path (see failed()), never to the caller
      });
      this.queued += 1;
      this.draining ??= this.drain();
    });
    return this.queued > HIGH_WATER ? done : undefined;
  }

  /** Events waiting to be written (a metric: it should stay near zero). */
  get pending(): number {
    return this.queued;
  }

  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Graceful shutdown: write what is pending; what the database does not take goes to the spool. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.retryRun;
    if (this.retrying.length) await this.retryNow().catch(() => undefined);
    this.spoolRetrying('shutdown');
  }

  /**
   * For a shutdown that ran out of time (SHUTDOWN_TIMEOUT_MS), right before the process exits:
   * synchronously spools every API-call event not known to be committed — queued, being written, or
   * waiting for a retry. One that commits after all is stored once (event_key). Returns the count.
   */
  spoolUnwritten(): number {
    const units = [...this.inflight, ...this.queue].filter((p) => p.key);
    for (const p of units) this.retrying.push(this.toSpooled(p));
    this.queue = this.queue.filter((p) => !p.key);
    this.inflight = [];
    return this.spoolRetrying('forced shutdown');
  }

  private async drain(): Promise<void> {
    // No waiting for more: the first event goes at once, and whatever arrives while a batch is being
    // written forms the next one. CPU work on new requests overlaps with the database round trip.
    await Promise.resolve();
    try {
      while (this.queue.length > 0) {
        const batch = this.takeBatch();
        this.inflight = batch;
        try {
          await this.write(batch);
          batch.forEach((p) => p.resolve());
        } catch (err) {
          if (batch.length === 1 || isDatabaseUnavailable(err)) {
            batch.forEach((p) => this.failed(p, err));
            continue;
          }
          // One bad unit must not fail the others: retry each alone.
          for (const p of batch) await this.write([p]).then(p.resolve, (e: unknown) => this.failed(p, e));
        } finally {
          this.inflight = [];
        }
      }
    } finally {
      this.draining = undefined;
    }
  }

  /**
   * A unit whose write failed: the caller of `commit` learns it (the request fails, 503 when the
   * database is away); an API-call event is kept for a retry instead — unless the error is not about
   * the database being away, when no retry would help and it is lost, counted and logged.
   */
  private failed(p: Pending, err: unknown): void {
    if (!p.key) return p.reject(err);
    if (isDatabaseUnavailable(err)) {
      this.retrying.push(this.toSpooled(p));
      this.retryingSince ||= Date.now();
      this.failureLog.error(
        `retry:${unavailableKind(err)}`,
        `audit write failed (database unavailable: ${unavailableKind(err)}); API-call events kept for retry`,
      );
      this.scheduleRetry(this.retryDelay);
    } else {
      this.lost.inc();
      this.failureLog.error('lost', `audit event ${p.events[0].type} lost: ${(err as Error).message}`);
    }
    p.resolve();
  }

  private toSpooled(p: Pending): SpooledEvent<AuditEventInput> {
    return { key: p.key!, at: p.at.toISOString(), event: p.events[0] };
  }

  private scheduleRetry(delayMs: number): void {
    if (this.stopped || this.retryTimer || this.retryRun) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retryRun = this.retryNow()
        .then(
          () => {
            this.retryDelay = RETRY_MIN_MS;
          },
          (err: unknown) => {
            this.retryDelay = Math.min(this.retryDelay * 2, RETRY_MAX_MS);
            const kind = unavailableKind(err);
            if (!kind) this.logger.error(`audit retry failed: ${(err as Error).message}`);
            if (Date.now() - this.retryingSince > SPOOL_AFTER_MS || this.retrying.length > SPOOL_AFTER_EVENTS)
              this.spoolRetrying('database unavailable');
          },
        )
        .finally(() => {
          this.retryRun = undefined;
          if (this.retrying.length || this.spool.hasFiles()) this.scheduleRetry(this.retryDelay);
        });
    }, delayMs);
    this.retryTimer.unref();
  }

  /** Writes the events held for retry, then replays the spool; throws (keeping them) if the database refuses. */
  private async retryNow(): Promise<void> {
    while (this.retrying.length) {
      const chunk = this.retrying.slice(0, MAX_BATCH);
      await this.writeKeyedSalvaging(chunk);
      this.retrying.splice(0, chunk.length);
    }
    this.retryingSince = 0;
    if (this.stopped) return;
    const claimed = this.spool.claim();
    if (claimed.length === 0) return;
    // A writer in another process may have opened a file just before we renamed it: let it finish.
    await new Promise((r) => setTimeout(r, 200));
    for (const [n, file] of claimed.entries()) {
      const { events, unreadable } = this.spool.read(file);
      try {
        for (let i = 0; i < events.length; i += MAX_BATCH)
          await this.writeKeyedSalvaging(events.slice(i, i + MAX_BATCH));
      } catch (err) {
        claimed.slice(n).forEach((f) => this.spool.release(f));
        throw err;
      }
      this.spool.remove(file);
      if (unreadable) {
        this.lost.inc(unreadable);
        this.logger.error(`${unreadable} unreadable line(s) in the audit spool ${file} lost`);
      }
      this.logger.log(`replayed ${events.length} audit event(s) from the spool`);
    }
  }

  /** Moves the events held for retry to the disk spool; what the disk refuses is lost (counted, logged). */
  private spoolRetrying(why: string): number {
    const events = this.retrying;
    if (events.length === 0) return 0;
    this.retrying = [];
    this.retryingSince = 0;
    try {
      this.spool.append(events);
      this.spooled.inc(events.length);
      this.logger.warn(`${events.length} API-call audit event(s) spooled to ${this.spool.dir} (${why})`);
    } catch (err) {
      this.lost.inc(events.length);
      this.logger.error(
        `${events.length} API-call audit event(s) lost: the spool refused them (${(err as Error).message})`,
      );
    }
    return events.length;
  }

  /**
   * As writeKeyed; when the database refuses the batch for another reason than being away, each event
   * is tried alone and the ones it refuses are lost (counted, logged) rather than retried for ever.
   */
  private async writeKeyedSalvaging(events: SpooledEvent<AuditEventInput>[]): Promise<void> {
    try {
      await this.writeKeyed(events);
    } catch (err) {
      if (isDatabaseUnavailable(err)) throw err;
      for (const e of events) {
        await this.writeKeyed([e]).catch((one: unknown) => {
          if (isDatabaseUnavailable(one)) throw one;
          this.lost.inc();
          this.failureLog.error('lost', `audit event ${e.event.type} lost: ${(one as Error).message}`);
        });
      }
    }
  }

  /** Keyed events (retried or replayed) on the serialized path, skipping those already stored. */
  private async writeKeyed(events: SpooledEvent<AuditEventInput>[]): Promise<void> {
    const units: Pending[] = events.map((e) => ({
      events: [e.event],
      writes: [],
      at: new Date(e.at),
      key: e.key,
      retried: true,
      resolve: () => undefined,
      reject: () => undefined,
    }));
    await this.writeSerialized(units);
  }

  private takeBatch(): Pending[] {
    let n = 0;
    let events = 0;
    while (n < this.queue.length && (n === 0 || events + this.queue[n].events.length <= MAX_BATCH)) {
      events += this.queue[n].events.length;
      n++;
    }
    this.queued -= events;
    return this.queue.splice(0, n);
  }

  private async write(batch: Pending[]): Promise<void> {
    if (Date.now() >= this.contendedUntil) {
      // Fast path: one statement chained on the head we know.
      this.head ??= await this.loadHead(this.dataSource.manager);
      const { rows, head } = this.chain(batch, this.head);
      try {
        await this.insert(this.dataSource.manager, rows, this.writesOf(batch));
        this.head = head;
        return;
      } catch (err) {
        this.head = undefined;
        const e = err as { code?: string; constraint?: string };
        if (e.code !== '23505') throw err;
        if (e.constraint === 'audit_events_pkey') this.contendedUntil = Date.now() + CONTENDED_MS;
        else if (e.constraint !== 'audit_events_event_key') throw err;
      }
    }
    await this.writeSerialized(batch);
  }

  /**
   * The serialized path: under an advisory lock, on the transaction's own connection (never another
   * pooled one: the embedded database is one session), re-read the head, drop keyed events already
   * stored, chain and insert. A collision is still possible with another instance's fast path, which
   * does not take the lock; that instance then comes here too, so the loop ends.
   */
  private async writeSerialized(batch: Pending[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        this.head = await this.dataSource.transaction(async (m) => {
          await m.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK]);
          const units = await this.notYetStored(m, batch);
          const { rows, head } = this.chain(units, await this.loadHead(m));
          if (rows.length) await this.insert(m, rows, this.writesOf(units));
          return head;
        });
        return;
      } catch (err) {
        this.head = undefined;
        const e = err as { code?: string; constraint?: string };
        const raced = e.code === '23505' && e.constraint === 'audit_events_pkey';
        if (!raced || attempt >= 1000) throw err;
      }
    }
  }

  private async notYetStored(m: EntityManager, batch: Pending[]): Promise<Pending[]> {
    // Only an event written before may be stored already; a fresh one costs no look-up.
    const keys = batch.flatMap((p) => (p.retried && p.key ? [p.key] : []));
    if (keys.length === 0) return batch;
    const stored = new Set(
      (
        (await m.query('SELECT event_key FROM audit_events WHERE event_key = ANY($1::uuid[])', [keys])) as {
          event_key: string;
        }[]
      ).map((r) => r.event_key),
    );
    return batch.filter((p) => !p.retried || !stored.has(p.key!));
  }

  private writesOf(batch: Pending[]): Map<CommittedWith['sql'], object[]> {
    const writes = new Map<CommittedWith['sql'], object[]>();
    for (const p of batch) {
      for (const w of p.writes) writes.set(w.sql, [...(writes.get(w.sql) ?? []), ...w.rows]);
    }
    return writes;
  }

  private async loadHead(m: EntityManager): Promise<ChainHead> {
    const [last] = (await m.query('SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1')) as {
      id: string;
      hash: string;
    }[];
    return { id: last ? Number(last.id) : 0, hash: last?.hash ?? GENESIS_HASH };
  }

  private chain(batch: Pending[], from: ChainHead): { rows: Record<string, unknown>[]; head: ChainHead } {
    let prev = from;
    const rows: Record<string, unknown>[] = [];
    for (const p of batch) {
      for (const e of p.events) {
        const row = this.toRow(e, prev, p.at);
        rows.push({
          id: row.id,
          occurred_at: row.occurredAt.toISOString(),
          type: row.type,
          outcome: row.outcome,
          actor: row.actor,
          subject: row.subject,
          client_id: row.clientId,
          jti: row.jti,
          request_id: row.requestId,
          ip: row.ip,
          user_agent: row.userAgent,
          details: row.details,
          prev_hash: row.prevHash,
          hash: row.hash,
          event_key: p.key ?? null,
        });
        prev = { id: row.id, hash: row.hash };
      }
    }
    return { rows, head: prev };
  }

  /** One statement: the owners' writes in CTEs, then the events; all or nothing. */
  private async insert(
    m: EntityManager,
    events: Record<string, unknown>[],
    writes: Map<CommittedWith['sql'], object[]>,
  ) {
    const params: string[] = [];
    const ctes: string[] = [];
    for (const [sql, rows] of writes) {
      if (rows.length === 0) continue;
      params.push(JSON.stringify(rows));
      ctes.push(`w${ctes.length} AS (${sql(`$${params.length}::json`)})`);
    }
    params.push(JSON.stringify(events));
    const columns = AUDIT_COLUMNS.map((c) => `"${c}"`).join(', ');
    const main = `INSERT INTO "audit_events" (${columns}) SELECT ${columns} FROM json_populate_recordset(NULL::"audit_events", $${params.length}::json)`;
    const sql = ctes.length ? `WITH ${ctes.join(', ')} ${main}` : main;
    await m.query(sql, params);
  }

  private toRow(e: AuditEventInput, prev: ChainHead, at: Date): AuditEventEntity {
    const row = Object.assign(new AuditEventEntity(), {
      id: prev.id + 1,
      occurredAt: at,
      type: e.type,
      outcome: e.outcome,
      actor: e.actor ?? null,
      subject: e.subject ?? null,
      clientId: e.clientId ?? null,
      jti: e.jti ?? null,
      requestId: e.meta?.requestId ?? null,
      ip: e.meta?.ip || null,
      userAgent: e.meta?.userAgent ?? null,
      details: withoutSecrets(e.details ?? {}),
      prevHash: prev.hash,
    });
    row.hash = eventHash(row, this.keys.chain);
    return row;
  }
}
