import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  checkpointSignature,
  GENESIS_HASH,
  legacyEventHash,
  sameHex,
  type ChainLink,
  type CheckpointKind,
} from './audit-chain';
import { AuditCheckpointEntity } from './audit-checkpoint.entity';
import { eventsAfter } from './audit-event-rows';
import { AuditKeys } from './audit-keys';
import { AuditService } from './audit.service';

export interface Checkpoints {
  /** Signature checked, ordered by event id. */
  valid: AuditCheckpointEntity[];
  /** Rows whose signature does not verify under AUDIT_KEY: never trusted, reported by verify. */
  forged: AuditCheckpointEntity[];
}

/** Owner of `audit_checkpoints`: signs, records and loads checkpoints; anchors pre-AUDIT_KEY rows once. */
@Injectable()
export class AuditCheckpointsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuditCheckpointsService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly keys: AuditKeys,
    private readonly audit: AuditService,
  ) {}

  async load(): Promise<Checkpoints> {
    const all = await this.dataSource
      .getRepository(AuditCheckpointEntity)
      .find({ order: { eventId: 'ASC', id: 'ASC' } });
    const valid: AuditCheckpointEntity[] = [];
    const forged: AuditCheckpointEntity[] = [];
    for (const c of all)
      (sameHex(checkpointSignature(c, this.keys.checkpoint), c.signature) ? valid : forged).push(c);
    return { valid, forged };
  }

  async record(kind: CheckpointKind, at: ChainLink, manager?: EntityManager): Promise<AuditCheckpointEntity> {
    const claim = { kind, eventId: at.id, eventHash: at.hash, createdAt: new Date() };
    const row = Object.assign(new AuditCheckpointEntity(), claim, {
      signature: checkpointSignature(claim, this.keys.checkpoint),
    });
    return (manager ?? this.dataSource.manager).getRepository(AuditCheckpointEntity).save(row);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.anchorLegacyRows();
  }

  /**
   * Rows written before AUDIT_KEY existed carry the unkeyed SHA-256 chain, which anyone can recompute.
   * On the first start with the key, the longest prefix that still verifies under that function is
   * anchored by a signed `legacy` checkpoint: from then on those rows cannot change unnoticed, and verify
   * reports them as not keyed. The anchor records what the database holds at that moment, so it is only
   * as good as the database was before the upgrade; it is recorded once, logged and audited.
   */
  private async anchorLegacyRows(): Promise<void> {
    const existing = await this.dataSource.getRepository(AuditCheckpointEntity).existsBy({ kind: 'legacy' });
    if (existing) return;
    let last: ChainLink = { id: 0, hash: GENESIS_HASH };
    // The first page is one row: on an installation that started keyed, that is all it reads.
    for (let done = false, size = 1; !done; size = 2000) {
      const page = await eventsAfter(this.dataSource, last.id, size);
      done = page.length < size;
      for (const e of page) {
        if (e.id !== last.id + 1 || e.prevHash !== last.hash || !sameHex(legacyEventHash(e), e.hash)) {
          done = true;
          break;
        }
        last = { id: e.id, hash: e.hash };
      }
    }
    if (last.id === 0) return;
    const claim = { kind: 'legacy' as const, eventId: last.id, eventHash: last.hash, createdAt: new Date() };
    const inserted = (await this.dataSource.query(
      `INSERT INTO audit_checkpoints (event_id, event_hash, kind, created_at, signature)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (kind) WHERE kind = 'legacy' DO NOTHING RETURNING id`,
      [
        claim.eventId,
        claim.eventHash,
        claim.kind,
        claim.createdAt,
        checkpointSignature(claim, this.keys.checkpoint),
      ],
    )) as unknown[];
    if (inserted.length === 0) return; // another instance anchored them first
    this.logger.warn(
      `audit events 1..${last.id} were written before AUDIT_KEY (unkeyed hashes); anchored by a signed checkpoint`,
    );
    await this.audit.record({
      type: 'audit.chain.anchored',
      outcome: 'success',
      actor: 'system',
      details: { unkeyed_through_id: last.id, unkeyed_hash: last.hash },
    });
  }
}
