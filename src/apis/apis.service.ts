import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { ClientsService } from '../clients/clients.service';
import type { AppConfig } from '../config/env';
import type { RequestMeta } from '../platform/http/request-meta';
import { UUID } from '../platform/uuid';
import { InvalidTargetError } from '../protocol/errors';
import { RESOURCE_SERVER_SCOPE } from '../scopes/built-in';
import { ApiEntity, ApiResourceServerEntity, ApiScopeEntity, type ApiView } from './api.entity';
import type { CreateApiDto, UpdateApiDto } from './dto/api.dto';

/** What the `resource` parameters of a token request resolve to (RFC 8707 §2). */
export interface ResolvedResources {
  /** The access token's `aud`. */
  audience: string[];
  /** The scopes a token for these resources may carry; undefined when not restricted (the default audience). */
  scopes?: ReadonlySet<string>;
}

/** The scopes of `scopes` that a token for the resolved resources may carry, in their order. */
export function scopesForResources(scopes: readonly string[], target: ResolvedResources): string[] {
  return target.scopes ? scopes.filter((s) => target.scopes!.has(s)) : [...scopes];
}

const VIEW = `
  SELECT a.id, a.identifier, a.name, a.created_at, a.updated_at,
         ARRAY(SELECT s.scope::text FROM api_scopes s WHERE s.api_id = a.id ORDER BY 1) AS scopes,
         ARRAY(SELECT r.client_id::text FROM api_resource_servers r WHERE r.api_id = a.id ORDER BY 1) AS resource_server_clients
    FROM apis a`;

interface ViewRow {
  id: string;
  identifier: string;
  name: string;
  created_at: Date;
  updated_at: Date;
  scopes: string[];
  resource_server_clients: string[];
}

const toView = (r: ViewRow): ApiView => ({
  id: r.id,
  identifier: r.identifier,
  name: r.name,
  scopes: r.scopes,
  resourceServerClients: r.resource_server_clients,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

/**
 * The registered APIs (RFC 8707 resource servers): owner of `apis`, `api_scopes` and
 * `api_resource_servers`. Resolves the `resource` parameters of token and authorization requests into
 * an audience and the scopes a token for it may carry. Without `resource`, tokens carry the default
 * audience (ACCESS_TOKEN_AUDIENCE); naming that audience explicitly means the same.
 */
@Injectable()
export class ApisService {
  private readonly defaultAudience: string;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clients: ClientsService,
    private readonly audit: AuditService,
    @Inject(ConfigService) config: ConfigService<AppConfig, true>,
  ) {
    this.defaultAudience = config.get('ACCESS_TOKEN_AUDIENCE', { infer: true });
  }

  async list(): Promise<ApiView[]> {
    const rows = (await this.dataSource.query(`${VIEW} ORDER BY a.identifier`)) as ViewRow[];
    return rows.map(toView);
  }

  async get(id: string): Promise<ApiView> {
    const [row] = UUID.test(id)
      ? ((await this.dataSource.query(`${VIEW} WHERE a.id = $1`, [id])) as ViewRow[])
      : [];
    if (!row) throw new NotFoundException(`API ${id.slice(0, 64)} not found`);
    return toView(row);
  }

  /** The identifiers of the APIs a client serves (`resource_server_clients`). */
  async identifiersServedBy(clientId: string): Promise<string[]> {
    const rows = (await this.dataSource.query(
      `SELECT a.identifier FROM apis a JOIN api_resource_servers r ON r.api_id = a.id WHERE r.client_id = $1`,
      [clientId],
    )) as { identifier: string }[];
    return rows.map((r) => r.identifier);
  }

  /** `invalid_target` unless every resource is a registered API or the default audience. */
  async resolve(resources: readonly string[]): Promise<ResolvedResources> {
    if (resources.length === 0) return { audience: [this.defaultAudience] };
    const rows = (await this.dataSource.query(
      `SELECT a.identifier, ARRAY(SELECT s.scope::text FROM api_scopes s WHERE s.api_id = a.id) AS scopes
         FROM apis a WHERE a.identifier = ANY($1)`,
      [resources.filter((r) => r !== this.defaultAudience)],
    )) as { identifier: string; scopes: string[] }[];
    const known = new Map(rows.map((r) => [r.identifier, r.scopes]));
    const unknown = resources.find((r) => r !== this.defaultAudience && !known.has(r));
    if (unknown !== undefined) throw new InvalidTargetError(`Unknown resource: ${unknown.slice(0, 200)}`);
    if (resources.includes(this.defaultAudience)) return { audience: [...resources] };
    return { audience: [...resources], scopes: new Set([...known.values()].flat()) };
  }

  /**
   * The resources a grant-based request may name (RFC 8707 §2.2): those of the authorization request
   * (the default audience when it named none). The request's own when given, else the grant's.
   */
  withinGrant(requested: readonly string[], granted: readonly string[]): string[] {
    const allowed = granted.length ? granted : [this.defaultAudience];
    const outside = requested.find((r) => !allowed.includes(r));
    if (outside !== undefined)
      throw new InvalidTargetError(`The resource was not part of the grant: ${outside.slice(0, 200)}`);
    return [...(requested.length ? requested : granted)];
  }

  async create(dto: CreateApiDto, by: Actor, meta: RequestMeta): Promise<ApiView> {
    if (dto.identifier === this.defaultAudience)
      throw new ConflictException(
        'The default audience (ACCESS_TOKEN_AUDIENCE) cannot be registered as an API',
      );
    const servers = dto.resource_server_clients ?? [];
    await this.assertResourceServers(servers);
    const id = randomUUID();
    await this.write(async (m) => {
      await m.insert(ApiEntity, { id, identifier: dto.identifier, name: dto.name });
      await this.replaceMembers(m, id, dto.scopes, servers);
    });
    const api = await this.get(id);
    await this.changed('admin.api.created', by, meta, api);
    return api;
  }

  async update(id: string, dto: UpdateApiDto, by: Actor, meta: RequestMeta): Promise<ApiView> {
    await this.get(id);
    if (dto.resource_server_clients) await this.assertResourceServers(dto.resource_server_clients);
    await this.write(async (m) => {
      // Locks the API row: concurrent updates of one API apply one after the other.
      const changed = await m.query(
        `UPDATE apis SET name = coalesce($2, name), updated_at = now() WHERE id = $1`,
        [id, dto.name ?? null],
      );
      if (!(changed as [unknown, number])[1]) throw new NotFoundException(`API ${id} not found`);
      await this.replaceMembers(m, id, dto.scopes, dto.resource_server_clients);
    });
    const api = await this.get(id);
    await this.changed('admin.api.updated', by, meta, api);
    return api;
  }

  async remove(id: string, by: Actor, meta: RequestMeta): Promise<void> {
    const api = await this.get(id);
    await this.dataSource.getRepository(ApiEntity).delete({ id });
    await this.changed('admin.api.deleted', by, meta, api);
  }

  /** Replaces the scopes and serving clients given (undefined: left as they are). */
  private async replaceMembers(
    m: EntityManager,
    id: string,
    scopes: string[] | undefined,
    servers: string[] | undefined,
  ): Promise<void> {
    if (scopes) {
      await m.delete(ApiScopeEntity, { apiId: id });
      const rows = [...new Set(scopes)].map((scope) => ({ apiId: id, scope }));
      if (rows.length) await m.insert(ApiScopeEntity, rows);
    }
    if (servers) {
      await m.delete(ApiResourceServerEntity, { apiId: id });
      const rows = [...new Set(servers)].map((clientId) => ({ apiId: id, clientId }));
      if (rows.length) await m.insert(ApiResourceServerEntity, rows);
    }
  }

  /** A transaction whose constraint violations become 409/400 with the offending value named. */
  private async write(work: (m: EntityManager) => Promise<void>): Promise<void> {
    try {
      await this.dataSource.transaction(work);
    } catch (err) {
      const e = err as { code?: string; constraint?: string; detail?: string };
      const value = /\)=\((.*)\)/.exec(e.detail ?? '')?.[1] ?? '';
      if (e.code === '23505' && e.constraint === 'apis_identifier_key')
        throw new ConflictException('An API with this identifier exists');
      if (e.code === '23503' && e.constraint === 'api_scopes_scope_fkey')
        throw new BadRequestException(`unknown scope: ${value.slice(0, 64)}`);
      if (e.code === '23503' && e.constraint === 'api_resource_servers_client_id_fkey')
        throw new BadRequestException(`unknown client: ${value.slice(0, 128)}`);
      throw err;
    }
  }

  /** Serving clients must be allowed the resource-server scope (role `resource-server`). */
  private async assertResourceServers(clientIds: string[]): Promise<void> {
    for (const clientId of new Set(clientIds)) {
      const client = await this.clients.findById(clientId);
      if (!client) throw new BadRequestException(`unknown client: ${clientId.slice(0, 128)}`);
      if (!(await this.clients.allowedScopes(client)).has(RESOURCE_SERVER_SCOPE))
        throw new BadRequestException(
          `client ${clientId} may not serve an API: it lacks scope ${RESOURCE_SERVER_SCOPE} (role resource-server)`,
        );
    }
  }

  private async changed(type: string, by: Actor, meta: RequestMeta, api: ApiView): Promise<void> {
    await this.audit.record({
      type,
      outcome: 'success',
      actor: by.sub,
      clientId: by.clientId,
      jti: by.jti,
      subject: api.identifier,
      details: {
        id: api.id,
        name: api.name,
        scopes: api.scopes,
        resource_server_clients: api.resourceServerClients,
      },
      meta,
    });
  }
}
