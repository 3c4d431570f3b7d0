import { Column, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

/**
 * An opaque refresh token, stored only as its keyed hash. Every use rotates it: the old row
 * gets `used_at`, a new row joins the same family. Presenting a used one revokes the family.
 */
@Entity('refresh_tokens')
export class RefreshTokenEntity {
  @PrimaryColumn({ name: 'token_hash', type: 'bytea' })
  tokenHash: Buffer;

  /** The grant: the authorization code's grant id, also `tokens.grant_id` of its access tokens. */
  @Index('refresh_tokens_family')
  @Column({ name: 'family_id', type: 'uuid' })
  familyId: string;

  @Column({ name: 'client_id', type: 'varchar', length: 128 })
  @ForeignKey('ClientEntity', { name: 'refresh_tokens_client_id_fkey', onDelete: 'CASCADE' })
  clientId: string;

  @Column({ name: 'user_id', type: 'uuid' })
  @ForeignKey('UserEntity', { name: 'refresh_tokens_user_id_fkey', onDelete: 'CASCADE' })
  userId: string;

  @Column({ type: 'text', array: true })
  scopes: string[];

  /** RFC 8707 resources the grant was made for (empty: the default audience). */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  resources: string[];

  @Column({ name: 'auth_time', type: 'timestamptz' })
  authTime: Date;

  @Column({ name: 'issued_at', type: 'timestamptz' })
  issuedAt: Date;

  /** Idle expiry: this token must be used before then. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  /** Absolute expiry of the family, fixed at the code exchange. */
  @Column({ name: 'family_expires_at', type: 'timestamptz' })
  familyExpiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoked_reason', type: 'varchar', length: 200, nullable: true })
  revokedReason: string | null;
}
