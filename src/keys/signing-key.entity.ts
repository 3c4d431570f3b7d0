import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export type KeyStatus = 'next' | 'active' | 'retired' | 'revoked';

@Entity('signing_keys')
@Check('signing_keys_status_check', `status IN ('next', 'active', 'retired', 'revoked')`)
// A revoked key keeps no private part; every other key has one.
@Check('signing_keys_private_key_check', `status = 'revoked' OR private_key_enc IS NOT NULL`)
// At most one active key per algorithm.
@Index('signing_keys_one_active_per_alg', ['alg'], { unique: true, where: `status = 'active'` })
export class SigningKeyEntity {
  /** RFC 7638 JWK thumbprint of the public key. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid: string;

  @Column({ type: 'varchar', length: 16 })
  alg: string;

  @Column({ type: 'varchar', length: 16 })
  status: KeyStatus;

  /** Public JWK (no private members). */
  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk: Record<string, string>;

  /** PKCS#8 DER, AES-256-GCM under KEYS_ENCRYPTION_KEY with the kid as AAD; erased when revoked. */
  @Column({ name: 'private_key_enc', type: 'bytea', nullable: true })
  privateKeyEnc: Buffer | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** When a published-ahead ('next') key starts signing. */
  @Column({ name: 'activate_at', type: 'timestamptz', nullable: true })
  activateAt: Date | null;

  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true })
  activatedAt: Date | null;

  @Column({ name: 'retired_at', type: 'timestamptz', nullable: true })
  retiredAt: Date | null;

  /** Emergency revocation (POST /admin/keys/:kid/revoke): unpublished at once, its tokens refused. */
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  /** A retired key stays published until every token it signed has expired. */
  @Column({ name: 'publish_until', type: 'timestamptz', nullable: true })
  publishUntil: Date | null;
}
