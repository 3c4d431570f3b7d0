import { Column, CreateDateColumn, Entity, ForeignKey, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { ClaimCategoryEntity } from './claim-category.entity';

/** A scope grants an operation (e.g. `customers:write`) or a claim category (e.g. `customers:banking`). */
@Entity('scopes')
export class ScopeEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  name: string;

  @Column({ type: 'text', default: '' })
  description: string;

  /** The claim category this scope makes visible, if any. */
  @Column({ name: 'claim_category', type: 'varchar', length: 64, nullable: true })
  @ForeignKey(() => ClaimCategoryEntity, { name: 'scopes_claim_category_fkey', onDelete: 'RESTRICT' })
  claimCategory: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
