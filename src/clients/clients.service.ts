import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { Actor } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { keyedHash, randomSecret, safeEqual } from '../platform/crypto';
import { keysetPage, type Page } from '../platform/pagination/keyset';
import type { RequestMeta } from '../platform/http/request-meta';
import type { AppConfig } from '../config/env';
import { parseScope } from '../protocol/scope-syntax';
import { ScopesService } from '../scopes/scopes.service';
import { KeysService } from '../keys/keys.service';
import { NotificationsService } from '../platform/db/notifications.service';
import { RefreshTokensService } from '../tokens/refresh/refresh-tokens.service';
import type { TokenEndpointAuthMethod } from '../protocol/client-auth-methods';
import { ClientEntity, type ClientStatus } from './client.entity';
import type { CreateClientDto, UpdateClientDto } from './dto/client.dto';
import { validateRedirectUri } from '../protocol/redirect-uri';

/**
 * A role or scope deleted between the check and the write: the foreign key clients.role → roles or the
 * trigger guarding clients.scopes (migration ScopeHolders) refuses it (SQLSTATE 23503), and that is a
 * bad request, not a server error.
 */
function roleRefused(err: unknown): never {
  const e = err as { code?: string; column?: string };
  if (e.code !== '23503') throw err;
  throw new BadRequestException(e.column === 'scopes' ? 'unknown scope(s)' : 'unknown role');
}

/** api_key_login: the API key alone at POST /auth — only for a simple-login client that has an API key. */
function checkApiKeyLogin(apiKeyLogin: boolean, simpleLogin: boolean, requireApiKey: boolean): void {
  if (apiKeyLogin && !(simpleLogin && requireApiKey)) {
    throw new BadRequestException('api_key_login needs simple_login and require_api_key');
  }
}

const CLIENTS_CHANNEL = 'scopegate_clients';
const CLIENT_CACHE_TTL_MS = 60_000;
const CLIENT_CACHE_MAX = 10_000;

export interface IssuedCredentials {
  client: ClientEntity;
  clientSecret?: string;
  apiKey?: string;
}

@Injectable()
export class ClientsService {
  private readonly pepper: string;
  private readonly cache = new Map<string, { client: ClientEntity; at: number }>();
  /** A constant hash to compare against when the client is unknown, so timing does not tell. */
  private readonly dummyHash: Buffer;

  constructor(
    @InjectRepository(ClientEntity) private readonly clients: Repository<ClientEntity>,
    private readonly scopes: ScopesService,
    private readonly audit: AuditService,
    private readonly grants: RefreshTokensService,
    private readonly keys: KeysService,
    @Inject(ConfigService) private readonly config: ConfigService<AppConfig, true>,
    private readonly notifications: NotificationsService,
  ) {
    notifications.on(CLIENTS_CHANNEL, (clientId) => this.cache.delete(clientId));
    notifications.onReconnect(async () => this.cache.clear());
    this.pepper = this.config.get('SECRET_PEPPER', { infer: true });
    this.dummyHash = keyedHash(this.pepper, 'no-such-client');
  }

  /**
   * Clients are read on every token request, so they are cached; every change evicts the entry here
   * and, through the `scopegate_clients` notification, on every other instance. While notifications
   * are not flowing the cache is bypassed, so a disabled client can never linger.
   */
  async findById(clientId: string): Promise<ClientEntity | null> {
    const usable = !this.notifications.enabled || this.notifications.connected;
    const hit = usable ? this.cache.get(clientId) : undefined;
    if (hit && Date.now() - hit.at < CLIENT_CACHE_TTL_MS) return hit.client;
    const client = await this.clients.findOneBy({ clientId });
    if (client && usable) {
      if (this.cache.size >= CLIENT_CACHE_MAX) this.cache.clear();
      this.cache.set(clientId, { client, at: Date.now() });
    }
    return client;
  }

  /** A fresh copy from the database (never the cached object: admin changes mutate it). */
  async get(clientId: string): Promise<ClientEntity> {
    const c = await this.clients.findOneBy({ clientId });
    if (!c) throw new NotFoundException(`client ${clientId} not found`);
    return c;
  }

  list(limit = 50, cursor?: string): Promise<Page<ClientEntity>> {
    return keysetPage(this.clients, {
      key: 'clientId',
      cursorPattern: /^[\x21-\x7e]{1,128}$/,
      limit,
      cursor,
    });
  }

  /** Compares in constant time against the current secret, then the previous one within its grace period. */
  verifySecret(client: ClientEntity | null, secret: string): boolean {
    const presented = keyedHash(this.pepper, secret);
    if (!client?.secretHash) {
      safeEqual(presented, this.dummyHash);
      return false;
    }
    const current = safeEqual(presented, client.secretHash);
    const previous =
      client.previousSecretHash !== null &&
      client.previousSecretExpiresAt !== null &&
      client.previousSecretExpiresAt.getTime() > Date.now() &&
      safeEqual(presented, client.previousSecretHash);
    return current || previous;
  }

  verifyApiKey(client: ClientEntity, apiKey: string | undefined): boolean {
    if (!client.apiKeyHash || apiKey === undefined) return false;
    return safeEqual(keyedHash(this.pepper, apiKey), client.apiKeyHash);
  }

  /** The client holding this API key (`POST /auth` with `X-API-Key` alone); looked up by its keyed hash. */
  findByApiKey(apiKey: string): Promise<ClientEntity | null> {
    if (apiKey.length === 0 || apiKey.length > 512) return Promise.resolve(null);
    return this.clients.findOneBy({ apiKeyHash: keyedHash(this.pepper, apiKey) });
  }

  /** The scopes the client may obtain: its role's, narrowed to its own `scope` list when it has one. */
  async allowedScopes(client: ClientEntity): Promise<Set<string>> {
    const fromRole = client.role
      ? ((await this.scopes.roleScopes(client.role)) ?? new Set<string>())
      : undefined;
    if (!fromRole) return new Set(client.scopes);
    return client.scopes.length ? new Set(client.scopes.filter((s) => fromRole.has(s))) : fromRole;
  }

  async create(
    dto: CreateClientDto,
    by: Actor,
    meta?: RequestMeta,
    fixed?: { clientId?: string; secret?: string },
  ): Promise<IssuedCredentials> {
    const grantTypes = dto.grant_types ?? ['client_credentials'];
    const method: TokenEndpointAuthMethod = dto.token_endpoint_auth_method ?? 'client_secret_basic';
    const scopes = await this.checkedScopes(dto.scope, dto.role);
    this.checkRedirectUris(dto.redirect_uris ?? [], grantTypes);
    if (method === 'none' && grantTypes.includes('client_credentials')) {
      throw new BadRequestException(
        'a public client (token_endpoint_auth_method none) cannot use client_credentials',
      );
    }
    if (dto.signing_alg) await this.keys.ensureActiveKey(dto.signing_alg);
    checkApiKeyLogin(dto.api_key_login ?? false, dto.simple_login ?? false, dto.require_api_key ?? false);
    const clientId = fixed?.clientId ?? randomSecret(16);
    if (await this.clients.existsBy({ clientId })) throw new BadRequestException(`client ${clientId} exists`);
    const clientSecret = method === 'none' ? undefined : (fixed?.secret ?? randomSecret());
    const apiKey = dto.require_api_key ? randomSecret() : undefined;
    const client = this.clients.create({
      clientId,
      clientName: dto.client_name,
      grantTypes,
      redirectUris: dto.redirect_uris ?? [],
      scopes,
      tokenEndpointAuthMethod: method,
      role: dto.role ?? null,
      requireApiKey: dto.require_api_key ?? false,
      simpleLogin: dto.simple_login ?? false,
      apiKeyLogin: dto.api_key_login ?? false,
      accessTokenTtl: dto.access_token_ttl ?? null,
      signingAlg: dto.signing_alg ?? null,
      status: 'active',
      secretHash: clientSecret ? keyedHash(this.pepper, clientSecret) : null,
      previousSecretHash: null,
      previousSecretExpiresAt: null,
      apiKeyHash: apiKey ? keyedHash(this.pepper, apiKey) : null,
      clientIdIssuedAt: new Date(),
    });
    await this.clients.insert(client).catch(roleRefused);
    await this.changed('admin.client.created', by, meta, clientId, {
      client_name: client.clientName,
      grant_types: grantTypes,
      scope: scopes.join(' '),
      role: client.role,
      token_endpoint_auth_method: method,
      require_api_key: client.requireApiKey,
      simple_login: client.simpleLogin,
      api_key_login: client.apiKeyLogin,
    });
    return { client, clientSecret, apiKey };
  }

  async update(clientId: string, dto: UpdateClientDto, by: Actor, meta: RequestMeta): Promise<ClientEntity> {
    const c = await this.get(clientId);
    const role = dto.role !== undefined ? dto.role : (c.role ?? undefined);
    const scope = dto.scope !== undefined ? dto.scope : c.scopes.join(' ');
    c.scopes = await this.checkedScopes(scope, role);
    c.role = role ?? null;
    if (dto.client_name !== undefined) c.clientName = dto.client_name;
    if (dto.grant_types !== undefined) c.grantTypes = dto.grant_types;
    if (dto.redirect_uris !== undefined) c.redirectUris = dto.redirect_uris;
    this.checkRedirectUris(c.redirectUris, c.grantTypes);
    if (c.tokenEndpointAuthMethod === 'none' && c.grantTypes.includes('client_credentials')) {
      throw new BadRequestException('a public client cannot use client_credentials');
    }
    if (dto.access_token_ttl !== undefined) c.accessTokenTtl = dto.access_token_ttl;
    if (dto.signing_alg !== undefined) {
      await this.keys.ensureActiveKey(dto.signing_alg);
      c.signingAlg = dto.signing_alg;
    }
    let apiKey: string | undefined;
    if (dto.require_api_key !== undefined && dto.require_api_key !== c.requireApiKey) {
      c.requireApiKey = dto.require_api_key;
      apiKey = dto.require_api_key ? randomSecret() : undefined;
      c.apiKeyHash = apiKey ? keyedHash(this.pepper, apiKey) : null;
    }
    if (dto.simple_login !== undefined) c.simpleLogin = dto.simple_login;
    if (dto.api_key_login !== undefined) c.apiKeyLogin = dto.api_key_login;
    checkApiKeyLogin(c.apiKeyLogin, c.simpleLogin, c.requireApiKey);
    await this.clients.save(c).catch(roleRefused);
    await this.changed('admin.client.updated', by, meta, clientId, { ...dto });
    return Object.assign(c, { issuedApiKey: apiKey });
  }

  async setStatus(
    clientId: string,
    status: ClientStatus,
    by: Actor,
    meta: RequestMeta,
  ): Promise<ClientEntity> {
    const c = await this.get(clientId);
    c.status = status;
    await this.clients.save(c);
    await this.changed(
      status === 'disabled' ? 'admin.client.disabled' : 'admin.client.enabled',
      by,
      meta,
      clientId,
      {},
    );
    // A disabled client's live tokens die with it, on every instance.
    if (status === 'disabled') await this.revokeTokens(clientId, by, meta, 'client disabled');
    return c;
  }

  /** Revokes every live token of the client (refresh and access); returns the access tokens revoked. */
  async revokeTokens(
    clientId: string,
    by: Actor,
    meta: RequestMeta,
    reason = 'all tokens of the client revoked by an administrator',
  ): Promise<number> {
    await this.get(clientId);
    return (await this.grants.revokeGrants({ clientId }, reason, by, meta)).accessTokens;
  }

  /** New secret, shown once; the old one stays valid for CLIENT_SECRET_ROTATION_GRACE seconds. */
  async rotateSecret(clientId: string, by: Actor, meta: RequestMeta): Promise<IssuedCredentials> {
    const c = await this.get(clientId);
    if (c.tokenEndpointAuthMethod === 'none') throw new BadRequestException('a public client has no secret');
    const grace = this.config.get('CLIENT_SECRET_ROTATION_GRACE', { infer: true });
    const clientSecret = randomSecret();
    c.previousSecretHash = c.secretHash;
    c.previousSecretExpiresAt = new Date(Date.now() + grace * 1000);
    c.secretHash = keyedHash(this.pepper, clientSecret);
    await this.clients.save(c);
    await this.changed('admin.client.secret_rotated', by, meta, clientId, {
      previous_secret_valid_until: c.previousSecretExpiresAt.toISOString(),
    });
    return { client: c, clientSecret };
  }

  async rotateApiKey(clientId: string, by: Actor, meta: RequestMeta): Promise<IssuedCredentials> {
    const c = await this.get(clientId);
    const apiKey = randomSecret();
    c.apiKeyHash = keyedHash(this.pepper, apiKey);
    c.requireApiKey = true;
    await this.clients.save(c);
    await this.changed('admin.client.api_key_rotated', by, meta, clientId, {});
    return { client: c, apiKey };
  }

  /** Creates the client, or resets the secret (and settings) of an existing one. */
  async ensure(dto: CreateClientDto, clientId: string, secret: string): Promise<'created' | 'updated'> {
    const existing = await this.findById(clientId);
    if (!existing) {
      await this.create(dto, { sub: 'system' }, undefined, { clientId, secret });
      return 'created';
    }
    const hash = keyedHash(this.pepper, secret);
    const scopes = await this.checkedScopes(dto.scope, dto.role);
    const same =
      existing.secretHash &&
      safeEqual(hash, existing.secretHash) &&
      existing.status === 'active' &&
      existing.scopes.join(' ') === scopes.join(' ');
    if (same) return 'updated';
    Object.assign(existing, {
      secretHash: hash,
      status: 'active',
      scopes,
      role: dto.role ?? null,
      grantTypes: dto.grant_types ?? existing.grantTypes,
      tokenEndpointAuthMethod: dto.token_endpoint_auth_method ?? existing.tokenEndpointAuthMethod,
    });
    await this.clients.save(existing);
    await this.changed('admin.client.updated', { sub: 'system' }, undefined, clientId, {
      reason: 'bootstrap',
    });
    return 'updated';
  }

  private async checkedScopes(scope: string | undefined, role: string | undefined): Promise<string[]> {
    const requested = scope === undefined ? [] : parseScope(scope);
    if (!requested) throw new BadRequestException('scope must be space-separated RFC 6749 scope tokens');
    const catalog = await this.scopes.catalog();
    const unknown = requested.filter((s) => !catalog.scopes.has(s));
    if (unknown.length) throw new BadRequestException(`unknown scope(s): ${unknown.join(', ')}`);
    if (role !== undefined) {
      const roleScopes = catalog.roles.get(role);
      if (!roleScopes) throw new BadRequestException(`unknown role: ${role}`);
      const outside = requested.filter((s) => !roleScopes.scopes.includes(s));
      if (outside.length)
        throw new BadRequestException(`scope(s) outside role ${role}: ${outside.join(', ')}`);
    }
    return requested.sort();
  }

  private checkRedirectUris(uris: string[], grantTypes: string[]): void {
    for (const uri of uris) {
      const problem = validateRedirectUri(uri);
      if (problem) throw new BadRequestException(`redirect_uris: ${uri}: ${problem}`);
    }
    if (grantTypes.includes('authorization_code') && uris.length === 0) {
      throw new BadRequestException('redirect_uris is required for the authorization_code grant');
    }
  }

  private async changed(
    type: string,
    by: Actor,
    meta: RequestMeta | undefined,
    clientId: string,
    details: Record<string, unknown>,
  ) {
    this.cache.delete(clientId);
    await this.audit.record({
      type,
      outcome: 'success',
      actor: by.sub,
      clientId,
      subject: clientId,
      jti: by.jti,
      details,
      meta,
    });
  }
}
