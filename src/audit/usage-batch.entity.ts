import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A batch of `api.call` events reported by a resource server, remembered so that a retry is recorded once. */
@Entity('usage_batches')
export class UsageBatchEntity {
  @PrimaryColumn({ name: 'client_id', type: 'varchar', length: 128 })
  clientId: string;

  @PrimaryColumn({ name: 'batch_id', type: 'uuid' })
  batchId: string;

  @Column({ type: 'integer' })
  events: number;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt: Date;
}
