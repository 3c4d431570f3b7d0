import {
  BadRequestException,
  ConflictException,
  Injectable,
  NotFoundException,
  type OnModuleInit,
} from '@nestjs/common';
import { UUID } from '../platform/uuid';
import { InjectRepository } from '@nestjs/typeorm';
import { hash, verify } from '@node-rs/argon2';
import { randomUUID } from 'node:crypto';
import { Repository } from 'typeorm';
import type { Actor } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { keysetPage, type Page } from '../platform/pagination/keyset';
import type { RequestMeta } from '../platform/http/request-meta';
import { ScopesService } from '../scopes/scopes.service';
import { RefreshTokensService } from '../tokens/refresh/refresh-tokens.service';
import { passwordProblem } from './password-policy';
import { UserEntity, type UserStatus } from './user.entity';
import type { CreateUserDto, UpdateUserDto } from './dto/user.dto';

/**
 * A role deleted between the check and the write: the database refuses users holding a role that does
 * not exist (SQLSTATE 23503, migration RoleHolders), and that is a bad request, not a server error.
 */
function roleRefused(err: unknown): never {
  throw (err as { code?: string }).code === '23503' ? new BadRequestException('unknown role(s)') : err;
}

/** Users, their argon2id passwords (argon2id is @node-rs/argon2's default algorithm) and their roles. */
@Injectable()
export class UsersService implements OnModuleInit {
  /** Verified against when the username is unknown, so timing does not tell which usernames exist. */
  private dummyHash = '';

  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly scopes: ScopesService,
    private readonly audit: AuditService,
    private readonly grants: RefreshTokensService,
  ) {}

  async onModuleInit(): Promise<void> {
    this.dummyHash = await hash(randomUUID());
  }

  findById(id: string): Promise<UserEntity | null> {
    return UUID.test(id) ? this.users.findOneBy({ id }) : Promise.resolve(null);
  }

  async get(id: string): Promise<UserEntity> {
    const u = await this.findById(id);
    if (!u) throw new NotFoundException(`user ${id} not found`);
    return u;
  }

  findByUsername(username: string): Promise<UserEntity | null> {
    return this.users
      .createQueryBuilder('u')
      .where('lower(u.username) = lower(:username)', { username })
      .getOne();
  }

  list(limit = 50, cursor?: string): Promise<Page<UserEntity>> {
    return keysetPage(this.users, { key: 'id', cursorPattern: UUID, limit, cursor });
  }

  /**
   * The active user with this username and password, or null. The password is always verified
   * (against a dummy hash for unknown users) so that response time does not reveal usernames.
   */
  async verifyCredentials(
    username: string,
    password: string,
  ): Promise<{ user: UserEntity | null; reason?: string }> {
    if (username.length > 64 || password.length > 256) return { user: null, reason: 'too long' };
    const row = await this.users
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('lower(u.username) = lower(:username)', { username })
      .getOne();
    const ok = await verify(row?.passwordHash ?? this.dummyHash, password).catch(() => false);
    if (!row) return { user: null, reason: 'unknown user' };
    if (!ok) return { user: null, reason: 'wrong password' };
    if (row.status !== 'active') return { user: null, reason: 'user disabled' };
    delete (row as Partial<UserEntity>).passwordHash;
    return { user: row };
  }

  /** The scopes the user may grant: the union of their roles' scopes. */
  async scopesOf(user: UserEntity): Promise<Set<string>> {
    const out = new Set<string>();
    for (const role of user.roles) for (const s of (await this.scopes.roleScopes(role)) ?? []) out.add(s);
    return out;
  }

  async create(dto: CreateUserDto, by: Actor, meta?: RequestMeta): Promise<UserEntity> {
    const problem = passwordProblem(dto.password, dto.username);
    if (problem) throw new BadRequestException(problem);
    const roles = await this.checkedRoles(dto.roles ?? []);
    if (await this.findByUsername(dto.username))
      throw new ConflictException(`username ${dto.username} is taken`);
    const user = this.users.create({
      id: randomUUID(),
      username: dto.username,
      passwordHash: await hash(dto.password),
      name: dto.name ?? '',
      email: dto.email ?? null,
      roles,
      status: 'active',
      simpleLogin: dto.simple_login ?? false,
      passwordChangedAt: new Date(),
    });
    try {
      await this.users.insert(user);
    } catch (err) {
      // Two concurrent creations: the unique index on lower(username) decides.
      if ((err as { code?: string }).code === '23505')
        throw new ConflictException(`username ${dto.username} is taken`);
      roleRefused(err);
    }
    delete (user as Partial<UserEntity>).passwordHash;
    await this.changed('admin.user.created', by, meta, user.id, {
      username: user.username,
      roles,
      simple_login: user.simpleLogin,
    });
    return this.get(user.id);
  }

  async update(id: string, dto: UpdateUserDto, by: Actor, meta: RequestMeta): Promise<UserEntity> {
    const u = await this.get(id);
    if (dto.roles !== undefined) u.roles = await this.checkedRoles(dto.roles);
    if (dto.name !== undefined) u.name = dto.name;
    if (dto.email !== undefined) u.email = dto.email;
    if (dto.simple_login !== undefined) u.simpleLogin = dto.simple_login;
    await this.users
      .update({ id }, { roles: u.roles, name: u.name, email: u.email, simpleLogin: u.simpleLogin })
      .catch(roleRefused);
    await this.changed('admin.user.updated', by, meta, id, { ...dto });
    return this.get(id);
  }

  async setStatus(id: string, status: UserStatus, by: Actor, meta: RequestMeta): Promise<UserEntity> {
    await this.get(id);
    await this.users.update({ id }, { status });
    await this.changed(
      status === 'disabled' ? 'admin.user.disabled' : 'admin.user.enabled',
      by,
      meta,
      id,
      {},
    );
    if (status === 'disabled') await this.grants.revokeGrants({ subject: id }, 'user disabled', by, meta);
    return this.get(id);
  }

  async resetPassword(id: string, password: string, by: Actor, meta: RequestMeta): Promise<UserEntity> {
    const u = await this.get(id);
    const problem = passwordProblem(password, u.username);
    if (problem) throw new BadRequestException(problem);
    await this.users.update({ id }, { passwordHash: await hash(password), passwordChangedAt: new Date() });
    await this.changed('admin.user.password_reset', by, meta, id, {});
    // A reset usually means the password leaked: end what was obtained with it (sign-in sessions older
    // than the change are refused by the authorization endpoint).
    await this.grants.revokeGrants({ subject: id }, 'password reset', by, meta);
    return this.get(id);
  }

  private async checkedRoles(roles: string[]): Promise<string[]> {
    const { roles: known } = await this.scopes.catalog();
    const unknown = roles.filter((r) => !known.has(r));
    if (unknown.length) throw new BadRequestException(`unknown role(s): ${unknown.join(', ')}`);
    return [...new Set(roles)].sort();
  }

  private async changed(
    type: string,
    by: Actor,
    meta: RequestMeta | undefined,
    userId: string,
    details: Record<string, unknown>,
  ) {
    await this.audit.record({
      type,
      outcome: 'success',
      actor: by.sub,
      clientId: by.clientId ?? null,
      jti: by.jti ?? null,
      subject: userId,
      details,
      meta,
    });
  }
}
