import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  ChainWalk,
  eventHash,
  GENESIS_HASH,
  legacyEventHash,
  sameHex,
  type ChainedEvent,
  type ChainFinding,
  type ChainLink,
  type CheckpointKind,
} from './audit-chain';
import type { AuditCheckpointEntity } from './audit-checkpoint.entity';
import { AuditCheckpointsService, type Checkpoints } from './audit-checkpoints.service';
import { eventById, eventsAfter } from './audit-event-rows';
import { AuditKeys } from './audit-keys';

const PAGE = 2000;

export interface CheckpointRef {
  id: number;
  event_id: number;
  kind: CheckpointKind;
  created_at: string;
}

export interface AuditVerification {
  /** No edited, inserted or removed row after the starting checkpoint, and no forged checkpoint. */
  ok: boolean;
  /** Events found intact in this run (those after `from_checkpoint`). */
  checked: number;
  first_bad: ChainFinding | null;
  /** Same as `first_bad.id` (kept for earlier clients); absent when ok. */
  first_broken_id?: number;
  /** Where the walk started; null: from the first event. */
  from_checkpoint: CheckpointRef | null;
  /** The last intact event reached. */
  last_id: number | null;
  /** Events up to this id carry the unkeyed hashes written before AUDIT_KEY (anchored by a checkpoint). */
  unkeyed_through_id: number | null;
  /** Checkpoints whose signature does not verify: ignored, and evidence of tampering. */
  forged_checkpoints: { id: number; event_id: number }[];
  /** The checkpoint this run recorded (only when ok and something new was checked). */
  checkpoint: CheckpointRef | null;
}

export const checkpointRef = (c: AuditCheckpointEntity): CheckpointRef => ({
  id: Number(c.id),
  event_id: c.eventId,
  kind: c.kind,
  created_at: c.createdAt.toISOString(),
});

/**
 * Verifies the audit chain from the latest valid checkpoint (or, with `full`, from the oldest retained
 * one), in keyset pages, and names the first edited, inserted or removed event.
 */
@Injectable()
export class AuditVerifier {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly keys: AuditKeys,
    private readonly checkpoints: AuditCheckpointsService,
  ) {}

  async verify(
    options: { full?: boolean; record?: CheckpointKind | false } = {},
  ): Promise<AuditVerification> {
    let full = Boolean(options.full);
    let { result, start, last } = await this.run(full);
    // Rows archived while we walked leave a gap behind a new archive checkpoint: walk again once.
    if (result.first_bad?.reason === 'removed') {
      const { valid } = await this.checkpoints.load();
      if (valid.some((c) => c.kind === 'archive' && c.eventId >= result.first_bad!.id))
        ({ result, start, last } = await this.run(full));
    }
    // The starting checkpoint's own row changed: rows before it were rewritten too. Walk them all to
    // name the first one.
    if (!full && result.first_bad && result.first_bad.id <= start.id) {
      full = true;
      ({ result, start, last } = await this.run(full));
    }
    const record = options.record ?? 'verify';
    if (result.ok && record && last.id > start.id) {
      result.checkpoint = checkpointRef(await this.checkpoints.record(record, last));
    }
    return result;
  }

  private async run(
    full: boolean,
  ): Promise<{ result: AuditVerification; start: ChainLink; last: ChainLink }> {
    const cps = await this.checkpoints.load();
    const legacyThrough = cps.valid.find((c) => c.kind === 'legacy')?.eventId ?? 0;
    const hashOf = (e: ChainedEvent) =>
      e.id <= legacyThrough ? legacyEventHash(e) : eventHash(e, this.keys.chain);
    const from = full ? cps.valid.filter((c) => c.kind === 'archive').at(-1) : cps.valid.at(-1);
    const start: ChainLink = from
      ? { id: from.eventId, hash: from.eventHash }
      : { id: 0, hash: GENESIS_HASH };
    const result: AuditVerification = {
      ok: true,
      checked: 0,
      first_bad: null,
      from_checkpoint: from ? checkpointRef(from) : null,
      last_id: from ? from.eventId : null,
      unkeyed_through_id: legacyThrough || null,
      forged_checkpoints: cps.forged.map((c) => ({ id: Number(c.id), event_id: c.eventId })),
      checkpoint: null,
    };
    const finish = (finding: ChainFinding | undefined, walk?: ChainWalk) => {
      if (walk) {
        result.checked = walk.checked;
        result.last_id = walk.last.id || null;
      }
      if (finding) {
        result.first_bad = finding;
        result.first_broken_id = finding.id;
      }
      result.ok = !finding && cps.forged.length === 0;
      return { result, start, last: walk?.last ?? start };
    };

    if (from && from.kind !== 'archive') {
      const anchor = await this.checkAnchor(from, cps, hashOf);
      if (anchor) return finish(anchor);
    }
    const anchors = new Map(
      cps.valid.filter((c) => c.eventId > start.id).map((c) => [c.eventId, c.eventHash]),
    );
    const walk = new ChainWalk(start, { hashOf, anchors });
    for (let after = start.id; ;) {
      const page = await eventsAfter(this.dataSource, after, PAGE);
      for (const e of page) {
        const found = walk.push(e);
        if (found) return finish(found, walk);
      }
      if (page.length < PAGE) break;
      after = page[page.length - 1].id;
    }
    const pending = walk.end();
    if (pending) return finish(pending, walk);
    // Rows cut off the end behind a signed checkpoint.
    const beyond = cps.valid.find((c) => c.eventId > walk.last.id);
    if (beyond) {
      const id = walk.last.id + 1;
      return finish(
        {
          id,
          reason: 'removed',
          detail: `checkpoint ${beyond.id} vouches for rows through ${beyond.eventId}`,
        },
        walk,
      );
    }
    return finish(undefined, walk);
  }

  /** The starting checkpoint's own event must still be there, unchanged. */
  private async checkAnchor(
    from: AuditCheckpointEntity,
    cps: Checkpoints,
    hashOf: (e: ChainedEvent) => string,
  ): Promise<ChainFinding | undefined> {
    const row = await eventById(this.dataSource, from.eventId);
    if (row) {
      if (sameHex(row.hash, from.eventHash) && sameHex(hashOf(row), row.hash)) return undefined;
      return { id: row.id, reason: 'edited', detail: `it differs from checkpoint ${from.id}` };
    }
    const [{ below }] = (await this.dataSource.query(
      'SELECT max(id) AS below FROM audit_events WHERE id < $1',
      [from.eventId],
    )) as { below: string | null }[];
    const archived = cps.valid.filter((c) => c.kind === 'archive' && c.eventId < from.eventId).at(-1);
    const id = Math.max(Number(below ?? 0), archived?.eventId ?? 0) + 1;
    return {
      id,
      reason: 'removed',
      detail: `checkpoint ${from.id} vouches for rows through ${from.eventId}`,
    };
  }
}
