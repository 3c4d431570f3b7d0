import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Scopes a user has approved for a client; a request within them skips the consent page. */
@Entity('consents')
export class ConsentEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @PrimaryColumn({ name: 'client_id', type: 'varchar', length: 128 })
  clientId: string;

  @Column({ type: 'text', array: true })
  scopes: string[];

  @Column({ name: 'granted_at', type: 'timestamptz' })
  grantedAt: Date;
}
