import { ConflictException, Injectable, NotFoundException, BadRequestException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { Actor } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { NotificationsService } from '../platform/db/notifications.service';
import { ClaimCategoryEntity } from './claim-category.entity';
import type { RequestMeta } from '../platform/http/request-meta';
import { RoleEntity } from './role.entity';
import { ScopeEntity } from './scope.entity';
import type {
  CreateClaimCategoryDto,
  CreateRoleDto,
  CreateScopeDto,
  UpdateRoleDto,
  UpdateScopeDto,
} from './dto/scope.dto';

/** Catalog entries to make sure exist (a seed): what is there already is left alone. */
export interface CatalogSeed {
  categories: Pick<ClaimCategoryEntity, 'name' | 'description'>[];
  scopes: Pick<ScopeEntity, 'name' | 'description' | 'claimCategory'>[];
  roles: Pick<RoleEntity, 'name' | 'description' | 'scopes'>[];
}

export interface Catalog {
  scopes: Map<string, ScopeEntity>;
  roles: Map<string, RoleEntity>;
  categories: Set<string>;
}

/**
 * A scope deleted between the check and the write: the trigger guarding roles.scopes refuses it
 * (SQLSTATE 23503, migration ScopeHolders), and that is a bad request, not a server error.
 */
function scopeRefused(err: unknown): never {
  throw (err as { code?: string }).code === '23503' ? new BadRequestException('unknown scope(s)') : err;
}

/** How long another instance's catalog change may take to be seen here. */
const CATALOG_TTL_MS = 5000;

/**
 * The scope catalog and roles. Read on every token request and every claims-filtered response, so it
 * is cached in memory for a few seconds and reloaded at once after a change made here.
 */
@Injectable()
export class ScopesService {
  private cached: { at: number; catalog: Promise<Catalog> } | undefined;

  constructor(
    @InjectRepository(ScopeEntity) private readonly scopes: Repository<ScopeEntity>,
    @InjectRepository(RoleEntity) private readonly roles: Repository<RoleEntity>,
    @InjectRepository(ClaimCategoryEntity) private readonly categories: Repository<ClaimCategoryEntity>,
    private readonly audit: AuditService,
    notifications: NotificationsService,
  ) {
    // A trigger announces catalog changes made by any instance.
    notifications.on('scopegate_catalog', () => this.catalogChanged());
    notifications.onReconnect(async () => this.invalidate());
  }

  catalog(): Promise<Catalog> {
    if (!this.cached || Date.now() - this.cached.at > CATALOG_TTL_MS) {
      const catalog = this.load();
      this.cached = { at: Date.now(), catalog };
      catalog.catch(() => (this.cached = undefined));
    }
    return this.cached.catalog;
  }

  invalidate(): void {
    this.cached = undefined;
  }

  private readonly changeListeners = new Set<() => void>();

  /** Calls `listener` after the catalog changed, here or on another instance; returns the unsubscribe. */
  onCatalogChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private catalogChanged(): void {
    this.invalidate();
    for (const listener of this.changeListeners) listener();
  }

  private async load(): Promise<Catalog> {
    const [scopes, roles, categories] = await Promise.all([
      this.scopes.find(),
      this.roles.find(),
      this.categories.find(),
    ]);
    return {
      scopes: new Map(scopes.map((s) => [s.name, s])),
      roles: new Map(roles.map((r) => [r.name, r])),
      categories: new Set(categories.map((c) => c.name)),
    };
  }

  /** Inserts the entries that are missing, in one transaction (categories, then scopes, then roles). */
  async ensureCatalog(seed: CatalogSeed): Promise<void> {
    await this.roles.manager.transaction(async (m) => {
      const insert = [
        [ClaimCategoryEntity, seed.categories],
        [ScopeEntity, seed.scopes],
        [RoleEntity, seed.roles],
      ] as const;
      for (const [entity, rows] of insert) {
        await m.createQueryBuilder().insert().into(entity).values(rows).orIgnore().execute();
      }
    });
    this.invalidate();
  }

  /** Claim categories that a set of scopes makes visible. */
  async categoriesGrantedBy(scopes: Iterable<string>): Promise<Set<string>> {
    const { scopes: catalog } = await this.catalog();
    const out = new Set<string>();
    for (const s of scopes) {
      const category = catalog.get(s)?.claimCategory;
      if (category) out.add(category);
    }
    return out;
  }

  /** A scope that grants the category (for `insufficient_scope` hints and Swagger). */
  async scopesGranting(category: string): Promise<string[]> {
    const { scopes } = await this.catalog();
    return [...scopes.values()].filter((s) => s.claimCategory === category).map((s) => s.name);
  }

  async roleScopes(role: string): Promise<Set<string> | undefined> {
    const r = (await this.catalog()).roles.get(role);
    return r ? new Set(r.scopes) : undefined;
  }

  listScopes(): Promise<ScopeEntity[]> {
    return this.scopes.find({ order: { name: 'ASC' } });
  }

  async getScope(name: string): Promise<ScopeEntity> {
    const s = await this.scopes.findOneBy({ name });
    if (!s) throw new NotFoundException(`scope ${name} not found`);
    return s;
  }

  async createScope(dto: CreateScopeDto, by: Actor, meta: RequestMeta): Promise<ScopeEntity> {
    if (await this.scopes.existsBy({ name: dto.name }))
      throw new ConflictException(`scope ${dto.name} exists`);
    await this.assertCategory(dto.claim_category);
    const s = await this.scopes.save(
      this.scopes.create({
        name: dto.name,
        description: dto.description ?? '',
        claimCategory: dto.claim_category ?? null,
      }),
    );
    await this.changed('admin.scope.created', by, meta, s.name, { claim_category: s.claimCategory });
    return s;
  }

  async updateScope(name: string, dto: UpdateScopeDto, by: Actor, meta: RequestMeta): Promise<ScopeEntity> {
    const s = await this.getScope(name);
    if (dto.claim_category !== undefined) await this.assertCategory(dto.claim_category ?? undefined);
    if (dto.description !== undefined) s.description = dto.description;
    if (dto.claim_category !== undefined) s.claimCategory = dto.claim_category;
    await this.scopes.save(s);
    await this.changed('admin.scope.updated', by, meta, name, { ...dto });
    return s;
  }

  /**
   * Refused (409) while a client, a role or a user's remembered consent names the scope. The database
   * decides, race-free (migration ScopeHolders): assignments lock the scope row, so a concurrent one
   * either lands first (and the delete is refused, naming who uses the scope) or waits and then finds
   * the scope gone.
   */
  async deleteScope(name: string, by: Actor, meta: RequestMeta): Promise<void> {
    await this.getScope(name);
    try {
      await this.scopes.delete({ name });
    } catch (err) {
      const e = err as { code?: string; constraint?: string; message?: string };
      // The foreign key api_scopes → scopes (ON DELETE RESTRICT) keeps a scope of an API.
      if ((e.code === '23503' || e.code === '23001') && e.constraint === 'api_scopes_scope_fkey')
        throw new ConflictException(`scope ${name} belongs to an API`);
      if (e.code !== '23503' || e.constraint !== 'scopes_in_use') throw err;
      throw new ConflictException(e.message);
    }
    await this.changed('admin.scope.deleted', by, meta, name, {});
  }

  listRoles(): Promise<RoleEntity[]> {
    return this.roles.find({ order: { name: 'ASC' } });
  }

  async getRole(name: string): Promise<RoleEntity> {
    const r = await this.roles.findOneBy({ name });
    if (!r) throw new NotFoundException(`role ${name} not found`);
    return r;
  }

  async createRole(dto: CreateRoleDto, by: Actor, meta: RequestMeta): Promise<RoleEntity> {
    if (await this.roles.existsBy({ name: dto.name })) throw new ConflictException(`role ${dto.name} exists`);
    const scopes = await this.assertScopes(dto.scopes);
    const r = await this.roles
      .save(this.roles.create({ name: dto.name, description: dto.description ?? '', scopes }))
      .catch(scopeRefused);
    await this.changed('admin.role.created', by, meta, r.name, { scopes });
    return r;
  }

  async updateRole(name: string, dto: UpdateRoleDto, by: Actor, meta: RequestMeta): Promise<RoleEntity> {
    const r = await this.getRole(name);
    if (dto.scopes !== undefined) r.scopes = await this.assertScopes(dto.scopes);
    if (dto.description !== undefined) r.description = dto.description;
    await this.roles.save(r).catch(scopeRefused);
    await this.changed('admin.role.updated', by, meta, name, { ...dto });
    return r;
  }

  /**
   * Refused (409) while a client or a user holds the role. The database decides, race-free: the
   * foreign key clients.role → roles and the trigger guarding users.roles (migration RoleHolders) lock
   * the role row, so a concurrent assignment either lands first (and the delete is refused) or waits
   * and then finds the role gone.
   */
  async deleteRole(name: string, by: Actor, meta: RequestMeta): Promise<void> {
    await this.getRole(name);
    try {
      await this.roles.delete({ name });
    } catch (err) {
      // 23503 foreign_key_violation, or 23001 restrict_violation (newer PostgreSQL versions, for RESTRICT).
      const e = err as { code?: string; table?: string };
      if (e.code !== '23503' && e.code !== '23001') throw err;
      throw new ConflictException(`role ${name} is assigned to a ${e.table === 'users' ? 'user' : 'client'}`);
    }
    await this.changed('admin.role.deleted', by, meta, name, {});
  }

  /**
   * Adds one scope to a role, leaving the others (PATCH replaces the whole list). One UPDATE: two
   * concurrent additions both land.
   */
  async addRoleScope(name: string, scope: string, by: Actor, meta: RequestMeta): Promise<RoleEntity> {
    await this.getRole(name);
    await this.assertScopes([scope]);
    const role = await this.updateRoleRow(
      `UPDATE roles SET scopes = ARRAY(SELECT DISTINCT s FROM unnest(scopes || $2::text) AS s ORDER BY 1),
              updated_at = now()
        WHERE name = $1 RETURNING *`,
      [name, scope],
    );
    await this.changed('admin.role.scope_added', by, meta, name, { scope });
    return role;
  }

  /** Removes one scope from a role; 404 when the role does not hold it. */
  async removeRoleScope(name: string, scope: string, by: Actor, meta: RequestMeta): Promise<RoleEntity> {
    const role = await this.updateRoleRow(
      `UPDATE roles SET scopes = array_remove(scopes, $2::text), updated_at = now()
        WHERE name = $1 AND $2::text = ANY (scopes) RETURNING *`,
      [name, scope],
    );
    await this.changed('admin.role.scope_removed', by, meta, name, { scope });
    return role;
  }

  private async updateRoleRow(sql: string, [name, scope]: [string, string]): Promise<RoleEntity> {
    // A scope deleted since assertScopes: the roles.scopes trigger refuses it (scopeRefused, 400).
    const result = (await this.roles.query(sql, [name, scope]).catch(scopeRefused)) as [
      Record<string, unknown>[],
      number,
    ];
    const [row] = result[0];
    if (!row) {
      await this.getRole(name);
      throw new NotFoundException(`role ${name} does not hold scope ${scope.slice(0, 64)}`);
    }
    this.invalidate();
    return this.getRole(name);
  }

  listCategories(): Promise<ClaimCategoryEntity[]> {
    return this.categories.find({ order: { name: 'ASC' } });
  }

  async getCategory(name: string): Promise<ClaimCategoryEntity> {
    const c = await this.categories.findOneBy({ name });
    if (!c) throw new NotFoundException(`claim category ${name.slice(0, 64)} not found`);
    return c;
  }

  async createCategory(
    dto: CreateClaimCategoryDto,
    by: Actor,
    meta: RequestMeta,
  ): Promise<ClaimCategoryEntity> {
    const [inserted] = (await this.categories.query(
      `INSERT INTO claim_categories (name, description, fields) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO NOTHING RETURNING name`,
      [dto.name, dto.description ?? '', [...new Set(dto.fields ?? [])]],
    )) as unknown[];
    if (!inserted) throw new ConflictException(`claim category ${dto.name} exists`);
    const c = await this.getCategory(dto.name);
    await this.changed('admin.claim_category.created', by, meta, c.name, { fields: c.fields });
    return c;
  }

  /** Refused (409) while a scope grants the category: the foreign key scopes.claim_category decides. */
  async deleteCategory(name: string, by: Actor, meta: RequestMeta): Promise<void> {
    await this.getCategory(name);
    try {
      await this.categories.delete({ name });
    } catch (err) {
      const e = err as { code?: string };
      if (e.code !== '23503' && e.code !== '23001') throw err;
      this.invalidate();
      const users = await this.scopesGranting(name).catch(() => []);
      throw new ConflictException(
        `claim category ${name} is granted by scope(s) ${users.join(', ') || '(another scope)'}`,
      );
    }
    await this.changed('admin.claim_category.deleted', by, meta, name, {});
  }

  private async assertScopes(scopes: string[]): Promise<string[]> {
    const known = (await this.freshCatalog()).scopes;
    const unknown = scopes.filter((s) => !known.has(s));
    if (unknown.length) throw new BadRequestException(`unknown scope(s): ${unknown.join(', ')}`);
    return [...new Set(scopes)].sort();
  }

  private async assertCategory(category: string | undefined | null): Promise<void> {
    if (category && !(await this.freshCatalog()).categories.has(category)) {
      throw new BadRequestException(`unknown claim category: ${category}`);
    }
  }

  private freshCatalog(): Promise<Catalog> {
    this.invalidate();
    return this.catalog();
  }

  private async changed(
    type: string,
    by: Actor,
    meta: RequestMeta,
    subject: string,
    details: Record<string, unknown>,
  ) {
    this.catalogChanged();
    await this.audit.record({
      type,
      outcome: 'success',
      actor: by.sub,
      clientId: by.clientId,
      jti: by.jti,
      subject,
      details,
      meta,
    });
  }
}
