import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A named set of fields of a resource (e.g. `banking`: iban, balance, credit_limit). */
@Entity('claim_categories')
export class ClaimCategoryEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  name: string;

  @Column({ type: 'text', default: '' })
  description: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
