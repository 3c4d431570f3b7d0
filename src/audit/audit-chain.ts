import { createHash, createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
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

export type ChainedEvent = Omit<AuditEventEntity, 'hash'>;

/**
 * The event's content, id first, as canonical JSON: every stored column but `hash`, `prev_hash` and
 * `event_key` (a delivery key for retried API-call events, which says nothing about the event).
 */
function eventBody(e: ChainedEvent): string {
  return canonicalJson([
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
}

/**
 * The chain before AUDIT_KEY: SHA-256(prev_hash ‖ canonical event). Anyone can recompute it, so rows
 * hashed this way are only trusted up to the signed `legacy` checkpoint recorded at the upgrade.
 */
export function legacyEventHash(e: ChainedEvent): string {
  return createHash('sha256').update(e.prevHash).update('\n').update(eventBody(e)).digest('hex');
}

const CHAIN_LABEL = 'scopegate.audit.event.v2\n';

/** hash = HMAC-SHA-256(chain key, label ‖ prev_hash ‖ canonical event): needs AUDIT_KEY to recompute. */
export function eventHash(e: ChainedEvent, chainKey: KeyObject): string {
  return createHmac('sha256', chainKey)
    .update(CHAIN_LABEL)
    .update(e.prevHash)
    .update('\n')
    .update(eventBody(e))
    .digest('hex');
}

export type CheckpointKind = 'legacy' | 'periodic' | 'verify' | 'archive';

/** What a checkpoint signs: the chain up to and including `eventId` ends in `eventHash`. */
export interface CheckpointClaim {
  kind: CheckpointKind;
  eventId: number;
  eventHash: string;
  createdAt: Date;
}

/** HMAC-SHA-256 under the checkpoint key (a different HKDF label from the chain key). */
export function checkpointSignature(c: CheckpointClaim, checkpointKey: KeyObject): string {
  const claim = canonicalJson(['scopegate.audit.checkpoint.v1', c.kind, c.eventId, c.eventHash, c.createdAt]);
  return createHmac('sha256', checkpointKey).update(claim).digest('hex');
}

export function sameHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

export type ChainFault = 'edited' | 'inserted' | 'removed';

/** The first row that is not what was written: its id (for `removed`, the first missing id). */
export interface ChainFinding {
  id: number;
  reason: ChainFault;
  detail: string;
}

export interface ChainLink {
  id: number;
  hash: string;
}

export interface ChainRules {
  /** The hash the row should carry (keyed, or unkeyed inside the legacy segment). */
  hashOf(e: ChainedEvent): string;
  /** Hashes that signed checkpoints vouch for, by event id. */
  anchors?: ReadonlyMap<number, string>;
}

/**
 * Checks rows fed in id order after `start` (a checkpoint, or the genesis with id 0). Ids are gapless,
 * so a missing id is a removed row. A row whose hash is wrong is an edit — unless the row after it
 * links straight to the row before it, which makes it an insertion (later rows were renumbered to make
 * room). Deciding that needs the next row, so a bad row is reported on the next `push` or on `end`.
 */
export class ChainWalk {
  /** Rows found intact. */
  checked = 0;
  private prev: ChainLink;
  private suspect: { row: AuditEventEntity; before: ChainLink } | undefined;

  constructor(
    start: ChainLink,
    private readonly rules: ChainRules,
  ) {
    this.prev = start;
  }

  /** The last intact row (or the start). */
  get last(): ChainLink {
    return this.prev;
  }

  push(e: AuditEventEntity): ChainFinding | undefined {
    if (this.suspect) {
      const { row, before } = this.suspect;
      return e.id === row.id + 1 && e.prevHash === before.hash
        ? { id: row.id, reason: 'inserted', detail: 'the next row links past it to the row before it' }
        : { id: row.id, reason: 'edited', detail: 'its hash does not match its content' };
    }
    if (e.id !== this.prev.id + 1) {
      return { id: this.prev.id + 1, reason: 'removed', detail: `row ${this.prev.id + 1} is missing` };
    }
    if (!sameHex(this.rules.hashOf(e), e.hash)) {
      this.suspect = { row: e, before: this.prev };
      return undefined;
    }
    if (e.prevHash !== this.prev.hash) {
      // The row is intact, so the one it follows was rewritten with a recomputed (unkeyed) hash; at the
      // start, the checkpoint vouches for the previous row, so this one was put in its place.
      return this.checked > 0
        ? { id: this.prev.id, reason: 'edited', detail: 'the next row does not link to its hash' }
        : { id: e.id, reason: 'edited', detail: 'its prev_hash does not match the checkpoint' };
    }
    const anchored = this.rules.anchors?.get(e.id);
    if (anchored !== undefined && !sameHex(anchored, e.hash)) {
      return {
        id: e.id,
        reason: 'edited',
        detail:
          'its hash differs from the signed checkpoint: this row or an unkeyed row before it was rewritten',
      };
    }
    this.checked++;
    this.prev = { id: e.id, hash: e.hash };
    return undefined;
  }

  /** No more rows: a pending bad row is an edit (an appended forgery looks the same). */
  end(): ChainFinding | undefined {
    return this.suspect
      ? { id: this.suspect.row.id, reason: 'edited', detail: 'its hash does not match its content' }
      : undefined;
  }
}
