import { createHash } from 'node:crypto';
import type { AuditEventEntity } from './audit-event.entity';

export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every level, so that jsonb's key reordering cannot change a hash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value instanceof Date ? value.toISOString() : (value ?? null));
}

type Hashed = Omit<AuditEventEntity, 'hash'>;

/** hash = SHA-256(prev_hash ‖ canonical event), every stored column but `hash` included. */
export function eventHash(e: Hashed): string {
  const body = canonicalJson([
    e.id,
    e.occurredAt.toISOString(),
    e.type,
    e.outcome,
    e.actor,
    e.subject,
    e.clientId,
    e.jti,
    e.requestId,
    e.ip,
    e.userAgent,
    e.details,
  ]);
  return createHash('sha256').update(e.prevHash).update('\n').update(body).digest('hex');
}

/**
 * Checks a run of events that follows `previous` (or the genesis). Returns the id of the first
 * broken link: a changed row (hash mismatch), a removed row (id gap) or a re-linked row.
 */
export function firstBrokenLink(
  events: AuditEventEntity[],
  previous: { id: number; hash: string } | undefined,
): number | undefined {
  let prev = previous ?? { id: 0, hash: GENESIS_HASH };
  for (const e of events) {
    if (e.id !== prev.id + 1 || e.prevHash !== prev.hash || eventHash(e) !== e.hash) return e.id;
    prev = e;
  }
  return undefined;
}
