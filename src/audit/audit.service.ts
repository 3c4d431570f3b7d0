import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { MetricsService } from '../platform/metrics/metrics.service';
import type { RequestMeta } from '../platform/http/request-meta';
import { withoutSecrets } from '../platform/secret-fields';
import { eventHash, GENESIS_HASH } from './audit-chain';
import { AuditEventEntity, type AuditOutcome } from './audit-event.entity';

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
 * Rows to insert atomically with the events (e.g. the token record of `token.issued`): a table name
 * and rows keyed by column name.
 */
export interface RowsToInsert {
  table: string;
  rows: Record<string, unknown>[];
}

interface Pending {
  events: AuditEventInput[];
  inserts: RowsToInsert[];
  at: Date;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface ChainHead {
  id: number;
  hash: string;
}

const NAME = /^[a-z_][a-z0-9_]*$/;
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
 * Appends events to the SHA-256 chain with group commit: whatever accumulates while a batch
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

  /** Events plus rows that must be committed atomically with them. */
  commit(events: AuditEventInput[], inserts: RowsToInsert[] = []): Promise<void> {
    for (const ins of inserts) {
      if (!NAME.test(ins.table) || (ins.rows[0] && !Object.keys(ins.rows[0]).every((c) => NAME.test(c)))) {
        throw new Error(`bad table or column name in ${ins.table}`);
      }
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ events, inserts, at: new Date(), resolve, reject });
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
    const tables = new Map<string, Record<string, unknown>[]>();
    for (const p of batch) {
      for (const ins of p.inserts) tables.set(ins.table, [...(tables.get(ins.table) ?? []), ...ins.rows]);
    }
    for (let attempt = 0; ; attempt++) {
      this.head ??= await this.loadHead();
      const { rows, head } = this.chain(batch, this.head);
      try {
        await this.insert(rows, tables);
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

  /** One statement: the extra rows in CTEs, then the events; all or nothing. */
  private async insert(events: Record<string, unknown>[], tables: Map<string, Record<string, unknown>[]>) {
    const params: string[] = [];
    const ctes: string[] = [];
    const into = (table: string, columns: string[]) => {
      params.push('');
      const list = columns.map((c) => `"${c}"`).join(', ');
      return `INSERT INTO "${table}" (${list}) SELECT ${list} FROM json_populate_recordset(NULL::"${table}", $${params.length}::json)`;
    };
    for (const [table, rows] of tables) {
      if (rows.length === 0) continue;
      ctes.push(`w${ctes.length} AS (${into(table, Object.keys(rows[0]))})`);
      params[params.length - 1] = JSON.stringify(rows);
    }
    const main = into('audit_events', AUDIT_COLUMNS);
    params[params.length - 1] = JSON.stringify(events);
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
      ip: e.meta?.ip ?? null,
      userAgent: e.meta?.userAgent ?? null,
      details: withoutSecrets(e.details ?? {}),
      prevHash: prev.hash,
    });
    row.hash = eventHash(row);
    return row;
  }
}
