import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** The record of every issued access token: revocation, introspection and usage build on it. */
@Entity('tokens')
@Index('tokens_client_id', ['clientId', 'issuedAt'])
@Index('tokens_revoked_live', ['expiresAt'], { where: 'revoked_at IS NOT NULL' })
export class TokenEntity {
  @PrimaryColumn({ type: 'uuid' })
  jti: string;

  @Column({ name: 'client_id', type: 'varchar', length: 128 })
  clientId: string;

  @Column({ type: 'varchar', length: 256 })
  subject: string;

  @Column({ type: 'text', array: true })
  scopes: string[];

  @Column({ type: 'text', array: true })
  audience: string[];

  @Column({ name: 'grant_type', type: 'varchar', length: 64 })
  grantType: string;

  @Column({ type: 'varchar', length: 64 })
  kid: string;

  @Column({ name: 'issued_at', type: 'timestamptz' })
  issuedAt: Date;

  @Index('tokens_expires_at')
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @Column({ name: 'revoked_reason', type: 'varchar', length: 200, nullable: true })
  revokedReason: string | null;

  /** The grant (authorization code / refresh-token family) it belongs to; revoking the grant revokes it. */
  @Index('tokens_grant_id', { where: 'grant_id IS NOT NULL' })
  @Column({ name: 'grant_id', type: 'uuid', nullable: true })
  grantId: string | null;

  /** The request id (`txn` claim) of the request that issued it. */
  @Column({ name: 'request_id', type: 'varchar', length: 128 })
  requestId: string;
}
