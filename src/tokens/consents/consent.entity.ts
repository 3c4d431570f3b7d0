import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';

/** Scopes a user has approved for a client; a request within them skips the consent page. */
@Entity('consents')
export class ConsentEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  @ForeignKey('UserEntity', { name: 'consents_user_id_fkey', onDelete: 'CASCADE' })
  userId: string;

  @PrimaryColumn({ name: 'client_id', type: 'varchar', length: 128 })
  @ForeignKey('ClientEntity', { name: 'consents_client_id_fkey', onDelete: 'CASCADE' })
  clientId: string;

  @Column({ type: 'text', array: true })
  scopes: string[];

  @Column({ name: 'granted_at', type: 'timestamptz', default: () => 'now()' })
  grantedAt: Date;
}
