import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

@Entity('audit_events')
@Index('audit_events_jti_type', ['jti', 'type'], { where: 'jti IS NOT NULL' })
export class AuditEventEntity {
  /** Gapless, assigned under the chain lock, so that a deleted row shows as a gap. */
  @PrimaryColumn({ type: 'bigint', transformer: { to: (v: number) => v, from: (v: string) => Number(v) } })
  id: number;

  @Index('audit_events_occurred_at')
  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt: Date;

  @Index('audit_events_type')
  @Column({ type: 'varchar', length: 64 })
  type: string;

  @Column({ type: 'varchar', length: 16 })
  outcome: AuditOutcome;

  @Column({ type: 'varchar', length: 256, nullable: true })
  actor: string | null;

  @Index('audit_events_subject')
  @Column({ type: 'varchar', length: 256, nullable: true })
  subject: string | null;

  @Index('audit_events_client_id')
  @Column({ name: 'client_id', type: 'varchar', length: 128, nullable: true })
  clientId: string | null;

  @Index('audit_events_jti')
  @Column({ type: 'varchar', length: 64, nullable: true })
  jti: string | null;

  @Index('audit_events_request_id')
  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  details: Record<string, unknown>;

  /**
   * Set on events that may be written more than once (retried, spooled to disk and replayed): the
   * writer skips an event whose key is already stored. A deduplication key, not part of the event.
   */
  @Index('audit_events_event_key', { unique: true, where: 'event_key IS NOT NULL' })
  @Column({ name: 'event_key', type: 'uuid', nullable: true })
  eventKey?: string | null;

  @Column({ name: 'prev_hash', type: 'char', length: 64 })
  prevHash: string;

  @Column({ type: 'char', length: 64 })
  hash: string;
}

export type AuditOutcome = 'success' | 'failure' | 'denied';
