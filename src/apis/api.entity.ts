import {
  Column,
  CreateDateColumn,
  Entity,
  ForeignKey,
  Index,
  PrimaryColumn,
  UpdateDateColumn,
} from 'typeorm';

/**
 * An API (resource server, RFC 8707): its identifier is the `resource` clients ask tokens for and the
 * `aud` of those tokens.
 */
@Entity('apis')
export class ApiEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Index('apis_identifier_key', { unique: true })
  @Column({ type: 'varchar', length: 2048 })
  identifier: string;

  @Column({ type: 'varchar', length: 200 })
  name: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}

/** The scopes of an API: a token for the API carries only these. A scope in use cannot be deleted. */
@Entity('api_scopes')
export class ApiScopeEntity {
  @PrimaryColumn({ name: 'api_id', type: 'uuid' })
  @ForeignKey(() => ApiEntity, { name: 'api_scopes_api_id_fkey', onDelete: 'CASCADE' })
  apiId: string;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  @ForeignKey('ScopeEntity', { name: 'api_scopes_scope_fkey', onDelete: 'RESTRICT' })
  scope: string;
}

/** The clients that serve an API: only they may introspect its tokens and report their usage. */
@Entity('api_resource_servers')
export class ApiResourceServerEntity {
  @PrimaryColumn({ name: 'api_id', type: 'uuid' })
  @ForeignKey(() => ApiEntity, { name: 'api_resource_servers_api_id_fkey', onDelete: 'CASCADE' })
  apiId: string;

  @PrimaryColumn({ name: 'client_id', type: 'varchar', length: 128 })
  @ForeignKey('ClientEntity', { name: 'api_resource_servers_client_id_fkey', onDelete: 'CASCADE' })
  clientId: string;
}

/** An API with its scopes and serving clients. */
export interface ApiView {
  id: string;
  identifier: string;
  name: string;
  scopes: string[];
  resourceServerClients: string[];
  createdAt: Date;
  updatedAt: Date;
}
