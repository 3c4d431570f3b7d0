import {
  ConflictException,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import type { KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { DataSource, In, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { decodeKey, decrypt, encrypt } from '../platform/crypto';
import type { AppConfig, SigningAlgorithm } from '../config/env';
import { NotificationsService } from '../platform/db/notifications.service';
import type { RequestMeta } from '../platform/http/request-meta';
import { generateKeyPair, privateKeyFromDer, publicJwkOf, publicKeyFromJwk } from './key-material';
import { SigningKeyEntity } from './signing-key.entity';

export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: KeyObject;
}

export interface VerificationKey {
  kid: string;
  alg: SigningAlgorithm;
  publicKey: KeyObject;
  jwk: JWK;
}

const KEY_LOCK = 0x5c0_6e75;
const UNKNOWN_KID_RELOAD_MS = 5000;
const MAINTENANCE_MS = 5000;
/** Longest access-token lifetime (ACCESS_TOKEN_TTL ≤ 3600) plus leeway: how long a retired key stays published. */
const RETIRED_PUBLISH_MS = (3600 + 60) * 1000;
export const KEYS_CHANNEL = 'scopegate_keys';

/** Who rotates a key, for its `key.rotated` event: an admin's token, or the server itself. */
export interface RotatedBy {
  actor: string;
  clientId?: string | null;
  jti?: string | null;
  meta?: RequestMeta;
}

/** The server itself: the rotation by age (KEY_ROTATION_INTERVAL), or a call without an admin. */
const SYSTEM: RotatedBy = { actor: 'system' };

/**
 * Signing keys live in the database with the private part encrypted at rest (AES-256-GCM, kid as AAD)
 * and in memory as KeyObjects (a PEM re-parsed per signature costs 10×).
 *
 * Rotation: a new key is inserted as `next` and published in the JWKS at once; it starts
 * signing KEY_PUBLISH_LEAD seconds later, when the old one becomes `retired` and stays published until
 * every token it signed has expired, after which it is deleted. Every instance follows changes through
 * the `scopegate_keys` notification (a trigger on signing_keys) and a periodic check.
 */
@Injectable()
export class KeysService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(KeysService.name);
  private readonly encryptionKey: Buffer;
  private signing = new Map<SigningAlgorithm, SigningKey>();
  private verification = new Map<string, VerificationKey>();
  private lastReload = 0;
  private unknownKidReload: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ConfigService) private readonly config: ConfigService<AppConfig, true>,
    notifications: NotificationsService,
    private readonly audit: AuditService,
  ) {
    this.encryptionKey = decodeKey(this.config.get('KEYS_ENCRYPTION_KEY', { infer: true }));
    notifications.on(
      KEYS_CHANNEL,
      () => void this.reload().catch((e: Error) => this.logger.error(`key reload failed: ${e.message}`)),
    );
    notifications.onReconnect(() => this.reload());
  }

  get defaultAlg(): SigningAlgorithm {
    return this.config.get('SIGNING_ALG', { infer: true });
  }

  async onModuleInit(): Promise<void> {
    await this.ensureActiveKey(this.defaultAlg);
    await this.maintain();
    this.timer = setInterval(
      () =>
        void this.maintain().catch((e: Error) => this.logger.warn(`key maintenance failed: ${e.message}`)),
      MAINTENANCE_MS,
    );
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** The active key for an algorithm (the default one unless a client overrides it). */
  signingKey(alg: SigningAlgorithm = this.defaultAlg): SigningKey {
    const key = this.signing.get(alg);
    if (!key) throw new Error(`no active signing key for ${alg}`);
    return key;
  }

  /**
   * The key for `kid` — the one rule for unknown kids: they trigger at most one reload per
   * UNKNOWN_KID_RELOAD_MS, so a key published by another instance is found while forged kids cannot
   * cause a reload storm. Lookups arriving during that reload wait for it; a failed reload finds nothing.
   */
  async verificationKeyOrReload(kid: string): Promise<VerificationKey | undefined> {
    const known = this.verification.get(kid);
    if (known) return known;
    if (!this.unknownKidReload) {
      if (Date.now() - this.lastReload < UNKNOWN_KID_RELOAD_MS) return undefined;
      this.unknownKidReload = this.reload()
        .catch((e: Error) => this.logger.warn(`key reload for an unknown kid failed: ${e.message}`))
        .finally(() => (this.unknownKidReload = undefined));
    }
    await this.unknownKidReload;
    return this.verification.get(kid);
  }

  /** Public keys of every published key (active, next and retired-but-not-expired). */
  jwks(): { keys: JWK[] } {
    return { keys: [...this.verification.values()].map((k) => k.jwk) };
  }

  async list(): Promise<SigningKeyEntity[]> {
    return this.dataSource.getRepository(SigningKeyEntity).find({ order: { createdAt: 'DESC' } });
  }

  async reload(): Promise<void> {
    this.lastReload = Date.now();
    const rows = await this.dataSource.getRepository(SigningKeyEntity).find({
      where: { status: In(['next', 'active', 'retired']) },
      order: { createdAt: 'ASC' },
    });
    const now = Date.now();
    const signing = new Map<SigningAlgorithm, SigningKey>();
    const verification = new Map<string, VerificationKey>();
    for (const row of rows) {
      if (row.status === 'retired' && row.publishUntil && row.publishUntil.getTime() < now) continue;
      const alg = row.alg as SigningAlgorithm;
      const known = this.verification.get(row.kid);
      verification.set(
        row.kid,
        known ?? {
          kid: row.kid,
          alg,
          publicKey: publicKeyFromJwk(row.publicJwk as JWK),
          jwk: row.publicJwk as JWK,
        },
      );
      if (row.status === 'active') {
        const current = this.signing.get(alg);
        if (current?.kid === row.kid) signing.set(alg, current);
        else
          signing.set(alg, {
            kid: row.kid,
            alg,
            privateKey: privateKeyFromDer(decrypt(this.encryptionKey, row.privateKeyEnc!, row.kid)),
          });
      }
    }
    const before = [...this.verification.keys()].sort().join(' ');
    this.signing = signing;
    this.verification = verification;
    if ([...verification.keys()].sort().join(' ') !== before) {
      for (const listener of this.publishedListeners) listener();
    }
  }

  private readonly publishedListeners = new Set<() => void>();

  /** Calls `listener` whenever the set of published keys (the JWKS) changes here; returns the unsubscribe. */
  onPublishedKeysChange(listener: () => void): () => void {
    this.publishedListeners.add(listener);
    return () => this.publishedListeners.delete(listener);
  }

  /** Generates and activates a key for `alg` unless one is active (safe with several instances starting). */
  async ensureActiveKey(alg: SigningAlgorithm): Promise<void> {
    if (this.signing.has(alg)) return;
    await this.locked(async (m) => {
      if (await m.getRepository(SigningKeyEntity).existsBy({ alg, status: 'active' })) return;
      const row = await this.newKeyRow(alg, 'active', new Date());
      await m.getRepository(SigningKeyEntity).insert(row);
      this.logger.log(`generated ${alg} signing key ${row.kid}`);
    });
    await this.reload();
  }

  /**
   * Publishes a new key for `alg` now; it signs after KEY_PUBLISH_LEAD seconds (at once when the lead
   * is 0). Returns the new key's row, after its `key.rotated` event is recorded.
   */
  async rotate(alg: SigningAlgorithm = this.defaultAlg, by: RotatedBy = SYSTEM): Promise<SigningKeyEntity> {
    const lead = this.config.get('KEY_PUBLISH_LEAD', { infer: true });
    const row = await this.locked(async (m) => {
      const repo = m.getRepository(SigningKeyEntity);
      await repo.delete({ alg, status: 'next' }); // a newer rotation supersedes an unfinished one
      const next = await this.newKeyRow(alg, 'next', new Date(Date.now() + lead * 1000));
      await repo.insert(next);
      return next;
    });
    this.logger.log(`published ${alg} key ${row.kid}; it signs from ${row.activateAt!.toISOString()}`);
    await this.recordRotation(row, by);
    await this.maintain();
    await this.reload(); // publish it here now; other instances hear the trigger's notification
    return row;
  }

  /**
   * Emergency revocation of a key believed compromised. In one transaction (under the key lock): the
   * key becomes `revoked` and loses its private part; when it was the active key of its algorithm,
   * the published `next` key is promoted, or else a new key is generated, so the server never lacks a
   * signing key. The trigger's notification makes every instance drop the key from its JWKS and its
   * verification keys — and with them every token it signed — as soon as it reloads. 404 for an
   * unknown kid, 409 for a key already revoked.
   */
  async revoke(
    kid: string,
    by: RotatedBy,
  ): Promise<{ key: SigningKeyEntity; replacedBy: SigningKeyEntity | null }> {
    const { key, previous, replacedBy } = await this.locked(async (m) => {
      const repo = m.getRepository(SigningKeyEntity);
      const key = await repo.findOneBy({ kid });
      if (!key) throw new NotFoundException(`key ${kid} not found`);
      if (key.status === 'revoked') throw new ConflictException(`key ${kid} is already revoked`);
      const previous = key.status;
      const now = new Date();
      await repo.update(
        { kid },
        { status: 'revoked', revokedAt: now, privateKeyEnc: null, publishUntil: null },
      );
      Object.assign(key, { status: 'revoked', revokedAt: now, privateKeyEnc: null, publishUntil: null });
      let replacedBy: SigningKeyEntity | null = null;
      if (previous === 'active') {
        replacedBy = await repo.findOneBy({ alg: key.alg, status: 'next' });
        if (replacedBy) {
          await repo.update({ kid: replacedBy.kid }, { status: 'active', activatedAt: now });
          Object.assign(replacedBy, { status: 'active', activatedAt: now });
        } else {
          replacedBy = await this.newKeyRow(key.alg as SigningAlgorithm, 'active', now);
          await repo.insert(replacedBy);
        }
      }
      return { key, previous, replacedBy };
    });
    await this.reload(); // here at once; other instances hear the trigger's notification
    this.logger.warn(`revoked ${key.alg} key ${kid}${replacedBy ? `; ${replacedBy.kid} signs now` : ''}`);
    await this.audit.record({
      type: 'key.revoked',
      outcome: 'success',
      actor: by.actor,
      clientId: by.clientId ?? null,
      jti: by.jti ?? null,
      subject: kid,
      details: { alg: key.alg, previous_status: previous, replaced_by: replacedBy?.kid ?? null },
      meta: by.meta,
    });
    return { key, replacedBy };
  }

  /**
   * Promotes due `next` keys, retires the keys they replace, deletes retired keys whose tokens have
   * all expired, and starts an automatic rotation for keys older than KEY_ROTATION_INTERVAL.
   */
  async maintain(): Promise<void> {
    const interval = this.config.get('KEY_ROTATION_INTERVAL', { infer: true });
    const started: SigningKeyEntity[] = [];
    const changed = await this.locked(async (m) => {
      const repo = m.getRepository(SigningKeyEntity);
      const now = new Date();
      let changes = 0;
      for (const next of await repo.find({ where: { status: 'next' } })) {
        if (next.activateAt && next.activateAt > now) continue;
        await repo.update(
          { alg: next.alg, status: 'active' },
          { status: 'retired', retiredAt: now, publishUntil: new Date(now.getTime() + RETIRED_PUBLISH_MS) },
        );
        await repo.update({ kid: next.kid }, { status: 'active', activatedAt: now });
        changes++;
      }
      const expired = await m.query(
        `DELETE FROM signing_keys WHERE status = 'retired' AND publish_until < now() RETURNING kid`,
      );
      changes += (Array.isArray(expired[0]) ? expired[0] : expired).length;
      if (interval > 0) {
        const stale = await m.query(
          `SELECT a.alg FROM signing_keys a WHERE a.status = 'active' AND a.activated_at < now() - make_interval(secs => $1)
             AND NOT EXISTS (SELECT 1 FROM signing_keys n WHERE n.alg = a.alg AND n.status = 'next')`,
          [interval],
        );
        for (const { alg } of stale as { alg: SigningAlgorithm }[]) {
          const lead = this.config.get('KEY_PUBLISH_LEAD', { infer: true });
          const next = await this.newKeyRow(alg, 'next', new Date(Date.now() + lead * 1000));
          await repo.insert(next);
          started.push(next);
          this.logger.log(`automatic rotation of the ${alg} key started`);
          changes++;
        }
      }
      return changes;
    });
    if (changed > 0 || Date.now() - this.lastReload > MAINTENANCE_MS) await this.reload();
    for (const row of started) {
      await this.recordRotation(row, SYSTEM).catch((err: Error) =>
        this.logger.error(`key.rotated event of key ${row.kid} not written: ${err.message}`),
      );
    }
  }

  /** Every rotation, on demand or by age, is audited alike (the key's id and algorithm, no key material). */
  private recordRotation(key: SigningKeyEntity, by: RotatedBy): Promise<void> {
    return this.audit.record({
      type: 'key.rotated',
      outcome: 'success',
      actor: by.actor,
      clientId: by.clientId ?? null,
      jti: by.jti ?? null,
      subject: key.kid,
      details: { alg: key.alg, activate_at: key.activateAt?.toISOString() },
      meta: by.meta,
    });
  }

  private locked<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [KEY_LOCK]);
      return work(m);
    });
  }

  private async newKeyRow(
    alg: SigningAlgorithm,
    status: 'active' | 'next',
    activateAt: Date,
  ): Promise<SigningKeyEntity> {
    const { privateKey, publicKey } = generateKeyPair(alg);
    const { kid, jwk } = await publicJwkOf(publicKey, alg);
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    return Object.assign(new SigningKeyEntity(), {
      kid,
      alg,
      status,
      publicJwk: jwk,
      privateKeyEnc: encrypt(this.encryptionKey, der, kid),
      activateAt,
      activatedAt: status === 'active' ? activateAt : null,
      retiredAt: null,
      publishUntil: null,
    });
  }
}
