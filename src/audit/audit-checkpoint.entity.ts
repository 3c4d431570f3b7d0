import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { CheckpointKind } from './audit-chain';

const bigint = { to: (v: number) => v, from: (v: string) => Number(v) };

/**
 * A signed statement that the audit chain through `event_id` ends in `event_hash`. The signature is an
 * HMAC under a key derived from AUDIT_KEY, so a row written by anyone else is refused by verify.
 */
@Entity('audit_checkpoints')
@Index('audit_checkpoints_one_legacy', ['kind'], { unique: true, where: `kind = 'legacy'` })
export class AuditCheckpointEntity {
  /** bigint arrives as a string from pg; ids here stay far below 2^53. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: number;

  @Index('audit_checkpoints_event_id')
  @Column({ name: 'event_id', type: 'bigint', transformer: bigint })
  eventId: number;

  @Column({ name: 'event_hash', type: 'char', length: 64 })
  eventHash: string;

  /** legacy: end of the unkeyed rows (upgrade); periodic / verify: a verified head; archive: retention cut. */
  @Column({ type: 'varchar', length: 16 })
  kind: CheckpointKind;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ type: 'char', length: 64 })
  signature: string;
}
