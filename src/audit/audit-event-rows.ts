import type { DataSource, EntityManager } from 'typeorm';
import { AuditEventEntity } from './audit-event.entity';

/** An `audit_events` row as the driver returns it (column names). */
export interface RawEvent {
  id: string;
  occurred_at: Date;
  type: string;
  outcome: AuditEventEntity['outcome'];
  actor: string | null;
  subject: string | null;
  client_id: string | null;
  jti: string | null;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

const COLUMNS = `id, occurred_at, type, outcome, actor, subject, client_id, jti, request_id, ip, user_agent,
  details, prev_hash, hash`;

/** A raw row as the event the chain hashes. */
export function toEntity(r: RawEvent): AuditEventEntity {
  return Object.assign(new AuditEventEntity(), {
    id: Number(r.id),
    occurredAt: new Date(r.occurred_at),
    type: r.type,
    outcome: r.outcome,
    actor: r.actor,
    subject: r.subject,
    clientId: r.client_id,
    jti: r.jti,
    requestId: r.request_id,
    ip: r.ip,
    userAgent: r.user_agent,
    details: r.details,
    prevHash: r.prev_hash,
    hash: r.hash,
  });
}

/** One keyset page of the chain: the events after `afterId`, in id order (no entity hydration). */
export async function eventsAfter(
  db: DataSource | EntityManager,
  afterId: number,
  limit: number,
): Promise<AuditEventEntity[]> {
  const rows = (await db.query(`SELECT ${COLUMNS} FROM audit_events WHERE id > $1 ORDER BY id LIMIT $2`, [
    afterId,
    limit,
  ])) as RawEvent[];
  return rows.map(toEntity);
}

export async function eventById(
  db: DataSource | EntityManager,
  id: number,
): Promise<AuditEventEntity | undefined> {
  const [row] = (await db.query(`SELECT ${COLUMNS} FROM audit_events WHERE id = $1`, [id])) as RawEvent[];
  return row ? toEntity(row) : undefined;
}
