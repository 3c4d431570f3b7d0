import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { decodeAuditKey, type AppConfig } from '../config/env';

/**
 * The two keys derived from AUDIT_KEY (HKDF-SHA-256, RFC 5869, one label per purpose): one keys the
 * event chain, one signs checkpoints. AUDIT_KEY itself never reaches the database.
 */
@Injectable()
export class AuditKeys {
  readonly chain: KeyObject;
  readonly checkpoint: KeyObject;

  constructor(@Inject(ConfigService) config: ConfigService<AppConfig, true>) {
    const ikm = decodeAuditKey(config.get('AUDIT_KEY', { infer: true }));
    const derive = (label: string) =>
      createSecretKey(Buffer.from(hkdfSync('sha256', ikm, 'scopegate-audit', label, 32)));
    this.chain = derive('audit event chain v2');
    this.checkpoint = derive('audit checkpoint v1');
  }

  static fromKey(auditKey: string): AuditKeys {
    return new AuditKeys({ get: () => auditKey } as unknown as ConfigService<AppConfig, true>);
  }
}
