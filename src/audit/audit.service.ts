import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { RequestMeta } from '../common/request-meta';
import { withoutSecrets } from '../common/secret-fields';
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
 * Rows to insert in the same transaction as the events (e.g. the token record of `token.issued`):
 * a table name and rows keyed by column name.
 */
export type RowsToInsert =
  | { table: string; rows: Record<string, unknown>[] }
  /** Entities inserted through TypeORM (fine off the hot path). */
  | { entity: EntityTarget<ObjectLiteral>; rows: ObjectLiteral[] };

const TABLE = /^[a-z_][a-z0-9_]*$/;

/**
 * One statement for any number of rows: the rows travel as one JSON parameter and PostgreSQL turns
 * them into the table's row type (json_populate_recordset). On the hot path this replaces TypeORM's
 * multi-row insert builder, whose per-parameter work grows with the batch.
 */
async function insertRows(
  manager: EntityManager,
  table: string,
  rows: Record<string, unknown>[],
): Promise<void> {
  if (rows.length === 0) return;
  if (!TABLE.test(table)) throw new Error(`bad table name ${table}`);
  const columns = Object.keys(rows[0]);
  if (!columns.every((c) => TABLE.test(c))) throw new Error('bad column name');
  const list = columns.map((c) => `"${c}"`).join(', ');
  await manager.query(
    `INSERT INTO "${table}" (${list}) SELECT ${list} FROM json_populate_recordset(NULL::"${table}", $1::json)`,
    [JSON.stringify(rows)],
  );
}

interface Pending {
  events: AuditEventInput[];
  inserts: RowsToInsert[];
  at: Date;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Any fixed 64-bit number: the advisory lock that serialises chain appends across instances. */
const CHAIN_LOCK = 0x5c0_9e6a7e;
const MAX_BATCH = 500;

/**
 * Appends events to the SHA-256 chain (SPEC §6). Writes are group-committed: whatever accumulates
 * while a transaction runs goes into the next one, so the chain lock is taken once per batch, not
 * per event. `record` resolves once the event is committed (security events, before the response);
 * `recordLater` does not wait (API-call events) and is flushed on shutdown.
 */
@Injectable()
export class AuditService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(AuditService.name);
  private queue: Pending[] = [];
  private draining: Promise<void> | undefined;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  record(event: AuditEventInput): Promise<void> {
    return this.commit([event]);
  }

  /** Events plus rows that must be committed atomically with them. */
  commit(events: AuditEventInput[], inserts: RowsToInsert[] = []): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ events, inserts, at: new Date(), resolve, reject });
      this.draining ??= this.drain();
    });
  }

  recordLater(event: AuditEventInput): void {
    this.commit([event]).catch((err: unknown) =>
      this.logger.error(`audit event ${event.type} lost: ${(err as Error).message}`),
    );
  }

  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  private async drain(): Promise<void> {
    // No waiting for more: the first event goes at once, and whatever arrives while a batch is being
    // written forms the next one. CPU work on new requests overlaps with the database round trips.
    await Promise.resolve();
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          await this.write(batch);
          batch.forEach((p) => p.resolve());
        } catch (err) {
          if (batch.length === 1) {
            batch[0].reject(err);
            continue;
          }
          // One bad unit must not fail the others: retry each alone.
          for (const p of batch) {
            await this.write([p]).then(p.resolve, p.reject);
          }
        }
      }
    } finally {
      this.draining = undefined;
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    await this.dataSource.transaction(async (manager: EntityManager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
      const inserts = new Map<string | EntityTarget<ObjectLiteral>, ObjectLiteral[]>();
      for (const p of batch) {
        for (const ins of p.inserts) {
          const key = 'table' in ins ? ins.table : ins.entity;
          inserts.set(key, [...(inserts.get(key) ?? []), ...ins.rows]);
        }
      }
      for (const [target, rows] of inserts) {
        if (typeof target === 'string') await insertRows(manager, target, rows as Record<string, unknown>[]);
        else await manager.insert(target, rows);
      }

      const [last] = (await manager.query('SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1')) as {
        id: string;
        hash: string;
      }[];
      let prev = { id: last ? Number(last.id) : 0, hash: last?.hash ?? GENESIS_HASH };
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
          prev = row;
        }
      }
      await insertRows(manager, 'audit_events', rows);
    });
  }

  private toRow(e: AuditEventInput, prev: { id: number; hash: string }, at: Date): AuditEventEntity {
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
