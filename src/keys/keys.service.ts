import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import type { KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { DataSource, In } from 'typeorm';
import { decodeKey, decrypt, encrypt } from '../common/crypto';
import { NotificationsService } from '../database/notifications.service';
import type { AppConfig, SigningAlgorithm } from '../config/env';
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
export const KEYS_CHANNEL = 'scopegate_keys';

/**
 * Signing keys live in the database with the private part encrypted at rest, and in memory as
 * KeyObjects (a PEM re-parsed per signature costs 10×, STACK-NOTES). The first start of an empty
 * database generates the key of SIGNING_ALG.
 */
@Injectable()
export class KeysService implements OnModuleInit {
  private readonly logger = new Logger(KeysService.name);
  private readonly encryptionKey: Buffer;
  private signing = new Map<SigningAlgorithm, SigningKey>();
  private verification = new Map<string, VerificationKey>();
  private lastReload = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ConfigService) private readonly config: ConfigService<AppConfig, true>,
    notifications: NotificationsService,
  ) {
    this.encryptionKey = decodeKey(this.config.get('KEYS_ENCRYPTION_KEY', { infer: true }));
    // Another instance rotated or added a key: reload (the trigger on signing_keys notifies).
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
    await this.reload();
  }

  /** The active key for an algorithm (the default one unless a client overrides it). */
  signingKey(alg: SigningAlgorithm = this.defaultAlg): SigningKey {
    const key = this.signing.get(alg);
    if (!key) throw new Error(`no active signing key for ${alg}`);
    return key;
  }

  verificationKey(kid: string): VerificationKey | undefined {
    return this.verification.get(kid);
  }

  /**
   * The key for `kid`; an unknown kid triggers at most one reload per UNKNOWN_KID_RELOAD_MS, so a
   * key published by another instance is found, while forged kids cannot cause a reload storm.
   */
  async verificationKeyOrReload(kid: string): Promise<VerificationKey | undefined> {
    const known = this.verification.get(kid);
    if (known || Date.now() - this.lastReload < UNKNOWN_KID_RELOAD_MS) return known;
    this.lastReload = Date.now();
    await this.reload();
    return this.verification.get(kid);
  }

  /** Public keys of every published key (active, next and retired-but-not-expired). */
  jwks(): { keys: JWK[] } {
    return { keys: [...this.verification.values()].map((k) => k.jwk) };
  }

  async reload(): Promise<void> {
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
      verification.set(row.kid, {
        kid: row.kid,
        alg,
        publicKey: publicKeyFromJwk(row.publicJwk as JWK),
        jwk: row.publicJwk as JWK,
      });
      if (row.status === 'active') {
        const der = decrypt(this.encryptionKey, row.privateKeyEnc, row.kid);
        signing.set(alg, { kid: row.kid, alg, privateKey: privateKeyFromDer(der) });
      }
    }
    this.signing = signing;
    this.verification = verification;
  }

  /** Generates and activates a key for `alg` unless one is active (safe with several instances starting). */
  async ensureActiveKey(alg: SigningAlgorithm): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [KEY_LOCK]);
      const active = await m.getRepository(SigningKeyEntity).existsBy({ alg, status: 'active' });
      if (active) return;
      const row = await this.newKeyRow(alg, 'active');
      await m.getRepository(SigningKeyEntity).insert(row);
      this.logger.log(`generated ${alg} signing key ${row.kid}`);
    });
  }

  private async newKeyRow(alg: SigningAlgorithm, status: 'active' | 'next'): Promise<SigningKeyEntity> {
    const { privateKey, publicKey } = generateKeyPair(alg);
    const { kid, jwk } = await publicJwkOf(publicKey, alg);
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    return Object.assign(new SigningKeyEntity(), {
      kid,
      alg,
      status,
      publicJwk: jwk,
      privateKeyEnc: encrypt(this.encryptionKey, der, kid),
      activatedAt: status === 'active' ? new Date() : null,
      retiredAt: null,
      publishUntil: null,
    });
  }
}
