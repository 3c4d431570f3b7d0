import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  ForeignKey,
  Index,
  PrimaryColumn,
  UpdateDateColumn,
} from 'typeorm';
import { RoleEntity } from '../scopes/role.entity';
import { TOKEN_ENDPOINT_AUTH_METHODS, type TokenEndpointAuthMethod } from '../protocol/client-auth-methods';

export type ClientStatus = 'active' | 'disabled';

/** An OAuth client (RFC 7591 metadata plus Scopegate's role, API key and TTL extensions). */
@Entity('clients')
@Check(
  'clients_token_endpoint_auth_method_check',
  `token_endpoint_auth_method IN (${TOKEN_ENDPOINT_AUTH_METHODS.map((m) => `'${m}'`).join(', ')})`,
)
@Check('clients_access_token_ttl_check', 'access_token_ttl BETWEEN 60 AND 3600')
@Check('clients_status_check', `status IN ('active', 'disabled')`)
// POST /auth finds a client by its API key alone.
@Index('clients_api_key_hash', ['apiKeyHash'], { where: 'api_key_hash IS NOT NULL' })
export class ClientEntity {
  @PrimaryColumn({ name: 'client_id', type: 'varchar', length: 128 })
  clientId: string;

  @Column({ name: 'client_name', type: 'varchar', length: 200 })
  clientName: string;

  @Column({ name: 'grant_types', type: 'text', array: true })
  grantTypes: string[];

  @Column({ name: 'redirect_uris', type: 'text', array: true, default: () => "'{}'" })
  redirectUris: string[];

  /** Explicitly allowed scopes; empty means "whatever the role allows". */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  scopes: string[];

  @Column({ name: 'token_endpoint_auth_method', type: 'varchar', length: 32 })
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;

  @Column({ type: 'varchar', length: 64, nullable: true })
  @ForeignKey(() => RoleEntity, { name: 'clients_role_fkey', onDelete: 'RESTRICT' })
  role: string | null;

  @Column({ name: 'require_api_key', type: 'boolean', default: false })
  requireApiKey: boolean;

  /** May log in at `POST /auth` with HTTP Basic (plus X-API-Key when it requires one). */
  @Column({ name: 'simple_login', type: 'boolean', default: false })
  simpleLogin: boolean;

  /** May log in at `POST /auth` with its API key alone (needs simple_login and require_api_key). */
  @Column({ name: 'api_key_login', type: 'boolean', default: false })
  apiKeyLogin: boolean;

  @Column({ name: 'access_token_ttl', type: 'integer', nullable: true })
  accessTokenTtl: number | null;

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status: ClientStatus;

  /** Overrides SIGNING_ALG for this client's tokens. */
  @Column({ name: 'signing_alg', type: 'varchar', length: 16, nullable: true })
  signingAlg: string | null;

  /** HMAC-SHA-256 of the secret under SECRET_PEPPER; null for public clients. */
  @Column({ name: 'secret_hash', type: 'bytea', nullable: true })
  secretHash: Buffer | null;

  /** The secret before the last rotation, valid until `previousSecretExpiresAt`. */
  @Column({ name: 'previous_secret_hash', type: 'bytea', nullable: true })
  previousSecretHash: Buffer | null;

  @Column({ name: 'previous_secret_expires_at', type: 'timestamptz', nullable: true })
  previousSecretExpiresAt: Date | null;

  @Column({ name: 'api_key_hash', type: 'bytea', nullable: true })
  apiKeyHash: Buffer | null;

  @Column({ name: 'client_id_issued_at', type: 'timestamptz', default: () => 'now()' })
  clientIdIssuedAt: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
