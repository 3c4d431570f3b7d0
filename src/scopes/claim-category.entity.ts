import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A named set of fields of a resource (e.g. `banking`: iban, balance, credit_limit). */
@Entity('claim_categories')
export class ClaimCategoryEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  name: string;

  @Column({ type: 'text', default: '' })
  description: string;

  /** The resource fields the category covers (informational: DTOs declare their fields' categories). */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  fields: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
