import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type UserStatus = 'active' | 'disabled';

/** A person who signs in at the authorization endpoint or at `POST /auth`. */
@Entity('users')
@Check('users_status_check', `status IN ('active', 'disabled')`)
// A unique index on lower(username), created by the migration; TypeORM cannot express it.
@Index('users_username_ci', { synchronize: false })
export class UserEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  /** Unique regardless of case (index on lower(username)); stored as given. */
  @Column({ type: 'varchar', length: 64 })
  username: string;

  /** argon2id PHC string; never leaves the service. */
  @Column({ name: 'password_hash', type: 'text', select: false })
  passwordHash: string;

  @Column({ type: 'varchar', length: 200, default: '' })
  name: string;

  @Column({ type: 'varchar', length: 320, nullable: true })
  email: string | null;

  /** Role names; the user's scopes are the union of their scopes. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  roles: string[];

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status: UserStatus;

  /** May log in at `POST /auth` with username and password (set by an administrator). */
  @Column({ name: 'simple_login', type: 'boolean', default: false })
  simpleLogin: boolean;

  @Column({ name: 'password_changed_at', type: 'timestamptz', default: () => 'now()' })
  passwordChangedAt: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
