import { ConflictException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { RequestMeta } from '../platform/http/request-meta';
import type { Actor } from './actor';
import { AuditCheckpointsService } from './audit-checkpoints.service';
import { AuditVerifier, checkpointRef, type CheckpointRef } from './audit-verifier';
import { AuditService } from './audit.service';

export interface AuditArchiveResult {
  /** Events deleted. */
  archived: number;
  /** Events up to this id are gone; the `archive` checkpoint vouches for its hash. */
  through_id: number | null;
  checkpoint: CheckpointRef | null;
}

/**
 * Retention: deletes the oldest events, always up to a signed `archive` checkpoint, so that verify —
 * incremental or full — starts from that checkpoint and still proves what remains. Refused while the
 * chain does not verify (deleting rows must not erase the evidence of tampering).
 */
@Injectable()
export class AuditArchiveService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly verifier: AuditVerifier,
    private readonly checkpoints: AuditCheckpointsService,
    private readonly audit: AuditService,
  ) {}

  async archive(before: Date, by: Actor, meta?: RequestMeta): Promise<AuditArchiveResult> {
    const verified = await this.verifier.verify({ full: true });
    if (!verified.ok) {
      const bad = verified.first_bad;
      throw new ConflictException(
        bad
          ? `the audit chain does not verify (event ${bad.id} ${bad.reason}); nothing archived`
          : 'the audit chain has forged checkpoints; nothing archived',
      );
    }
    // The cut: the last event before the first one at or after `before` (ids and times rise together
    // only roughly across instances, so an older event after a newer one is kept), never beyond what
    // was just verified.
    const [{ cut }] = (await this.dataSource.query(
      `SELECT coalesce((SELECT min(id) FROM audit_events WHERE occurred_at >= $1) - 1,
                       (SELECT max(id) FROM audit_events)) AS cut`,
      [before],
    )) as { cut: string | null }[];
    const floor = verified.from_checkpoint?.kind === 'archive' ? verified.from_checkpoint.event_id : 0;
    const through = Math.min(Number(cut ?? 0), verified.last_id ?? 0);
    let result: AuditArchiveResult = { archived: 0, through_id: null, checkpoint: null };
    if (through > floor) {
      result = await this.dataSource.transaction(async (m) => {
        const [{ hash }] = (await m.query('SELECT hash FROM audit_events WHERE id = $1', [through])) as {
          hash: string;
        }[];
        const cp = await this.checkpoints.record('archive', { id: through, hash }, m);
        const [{ archived }] = (await m.query(
          'WITH gone AS (DELETE FROM audit_events WHERE id <= $1 RETURNING 1) SELECT count(*)::int AS archived FROM gone',
          [through],
        )) as { archived: number }[];
        return { archived, through_id: through, checkpoint: checkpointRef(cp) };
      });
    }
    await this.audit.record({
      type: 'admin.audit.archived',
      outcome: 'success',
      actor: by.sub,
      clientId: by.clientId,
      jti: by.jti,
      details: { before: before.toISOString(), through_id: result.through_id, archived: result.archived },
      meta,
    });
    return result;
  }
}
