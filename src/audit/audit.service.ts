import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { MetricsService } from '../platform/metrics/metrics.service';
import type { RequestMeta } from '../platform/http/request-meta';
import { withoutSecrets } from '../platform/secret-fields';
import { eventHash, GENESIS_HASH } from './audit-chain';
import { AuditEventEntity, type AuditOutcome } from './audit-event.entity';
import { AuditKeys } from './audit-keys';

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
];

/**
 * Appends events to the keyed hash chain (HMAC-SHA-256 under AUDIT_KEY, see audit-chain.ts) with group commit: whatever accumulates while a batch
 * is written forms the next batch, and a batch is ONE statement — its events and the rows that must
 * commit with them travel as JSON parameters (json_populate_recordset), chained in data-modifying
 * CTEs, so it is atomic without a multi-round-trip transaction.
 *
 * The chain head (last id and hash) is kept in memory. Ids are gapless and the primary key: if another
 * instance appended meanwhile, our first id collides, the statement fails as a whole, and the batch is
 * re-chained on the fresh head — optimistic, and correct with any number of instances.
 *
 * `record`/`commit` resolve once committed (security events, before the response). `recordLater`
 * (API-call events) does not wait — unless the backlog exceeds HIGH_WATER, when it returns the commit
 * for the caller to await, so memory stays bounded under overload. Pending events are flushed on shutdown.
 */
@Injectable()
export class AuditService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditService.name);
  private queue: Pending[] = [];
  private queued = 0;
  private draining: Promise<void> | undefined;
  private head: ChainHead | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    metrics: MetricsService,
    private readonly keys: AuditKeys,
  ) {
    metrics.gauge(
      'scopegate_audit_events_pending',
      'Audit events accepted but not yet committed (API-call events are batched)',
      () => this.pending,
    );
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

  /** Fire-and-forget, except under backlog: then the returned promise should be awaited. */
  recordLater(event: AuditEventInput): Promise<void> | undefined {
    const done = this.commit([event]).catch((err: unknown) =>
      this.logger.error(`audit event ${event.type} lost: ${(err as Error).message}`),
    );
    return this.queued > HIGH_WATER ? done : undefined;
  }

  /** Events waiting to be written (a metric: it should stay near zero). */
  get pending(): number {
    return this.queued;
  }

  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  private async drain(): Promise<void> {
    // No waiting for more: the first event goes at once, and whatever arrives while a batch is being
    // written forms the next one. CPU work on new requests overlaps with the database round trip.
    await Promise.resolve();
    try {
      while (this.queue.length > 0) {
        const batch = this.takeBatch();
        try {
          await this.write(batch);
          batch.forEach((p) => p.resolve());
        } catch (err) {
          if (batch.length === 1) {
            batch[0].reject(err);
            continue;
          }
          // One bad unit must not fail the others: retry each alone.
          for (const p of batch) await this.write([p]).then(p.resolve, p.reject);
        }
      }
    } finally {
      this.draining = undefined;
    }
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
    const writes = new Map<CommittedWith['sql'], object[]>();
    for (const p of batch) {
      for (const w of p.writes) writes.set(w.sql, [...(writes.get(w.sql) ?? []), ...w.rows]);
    }
    for (let attempt = 0; ; attempt++) {
      this.head ??= await this.loadHead();
      const { rows, head } = this.chain(batch, this.head);
      try {
        await this.insert(rows, writes);
        this.head = head;
        return;
      } catch (err) {
        this.head = undefined;
        const e = err as { code?: string; constraint?: string };
        const raced = e.code === '23505' && e.constraint === 'audit_events_pkey';
        if (!raced || attempt >= 20) throw err;
      }
    }
  }

  private async loadHead(): Promise<ChainHead> {
    const [last] = (await this.dataSource.query(
      'SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1',
    )) as {
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
        });
        prev = { id: row.id, hash: row.hash };
      }
    }
    return { rows, head: prev };
  }

  /** One statement: the owners' writes in CTEs, then the events; all or nothing. */
  private async insert(events: Record<string, unknown>[], writes: Map<CommittedWith['sql'], object[]>) {
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
    await this.dataSource.query(sql, params);
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
