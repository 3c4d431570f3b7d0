import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One counter of {@link PostgresCounterStore}; rows past `expires_at` are dead and pruned. */
@Entity('rate_limit_counters')
export class RateLimitCounterEntity {
  @PrimaryColumn({ type: 'text' })
  key: string;

  @Column({ type: 'integer' })
  count: number;

  @Index('rate_limit_counters_expires_at')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
