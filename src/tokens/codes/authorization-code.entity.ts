import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryColumn } from 'typeorm';

/**
 * RFC 6749 §4.1.2 authorization code, stored only as its keyed hash. Single use (`used_at`), 60 s,
 * bound to the client, the redirect URI, the PKCE challenge (RFC 7636 §4.4) and the OIDC nonce.
 */
@Entity('authorization_codes')
export class AuthorizationCodeEntity {
  @PrimaryColumn({ name: 'code_hash', type: 'bytea' })
  codeHash: Buffer;

  /** Shared by the access and refresh tokens issued from this code (`tokens.grant_id`). */
  @Column({ name: 'grant_id', type: 'uuid' })
  grantId: string;

  @Column({ name: 'client_id', type: 'varchar', length: 128 })
  @ForeignKey('ClientEntity', { name: 'authorization_codes_client_id_fkey', onDelete: 'CASCADE' })
  clientId: string;

  @Column({ name: 'user_id', type: 'uuid' })
  @ForeignKey('UserEntity', { name: 'authorization_codes_user_id_fkey', onDelete: 'CASCADE' })
  userId: string;

  @Column({ name: 'redirect_uri', type: 'text' })
  redirectUri: string;

  /** Whether the authorization request named the redirect URI (then the token request must, §4.1.3). */
  @Column({ name: 'redirect_uri_explicit', type: 'boolean' })
  redirectUriExplicit: boolean;

  @Column({ type: 'text', array: true })
  scopes: string[];

  /** RFC 8707 resources the grant was made for (empty: the default audience). */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  resources: string[];

  @Column({ name: 'code_challenge', type: 'varchar', length: 128, nullable: true })
  codeChallenge: string | null;

  @Column({ name: 'code_challenge_method', type: 'varchar', length: 8, nullable: true })
  codeChallengeMethod: string | null;

  @Column({ type: 'varchar', length: 512, nullable: true })
  nonce: string | null;

  @Column({ name: 'auth_time', type: 'timestamptz' })
  authTime: Date;

  @Index('authorization_codes_expires')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  @Column({ name: 'replayed_at', type: 'timestamptz', nullable: true })
  replayedAt: Date | null;

  /** Set by the database on insert. */
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt?: Date;
}
