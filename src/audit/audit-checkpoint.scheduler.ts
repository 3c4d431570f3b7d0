import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/env';
import { AuditVerifier } from './audit-verifier';

/**
 * Every AUDIT_CHECKPOINT_INTERVAL seconds: verify the chain from the last checkpoint and, when intact,
 * sign a `periodic` checkpoint at its head — so incremental verification stays short and tampering is
 * logged as an error soon after it happens. Each instance runs it; a duplicate checkpoint is harmless.
 */
@Injectable()
export class AuditCheckpointScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuditCheckpointScheduler.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly verifier: AuditVerifier,
    @Inject(ConfigService) private readonly config: ConfigService<AppConfig, true>,
  ) {}

  onApplicationBootstrap(): void {
    const seconds = this.config.get('AUDIT_CHECKPOINT_INTERVAL', { infer: true });
    if (seconds === 0) return;
    this.timer = setInterval(() => {
      this.running ??= this.tick().finally(() => (this.running = undefined));
    }, seconds * 1000);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    try {
      const r = await this.verifier.verify({ record: 'periodic' });
      if (!r.ok) {
        const what = r.first_bad
          ? `event ${r.first_bad.id} ${r.first_bad.reason} (${r.first_bad.detail})`
          : `forged checkpoints ${r.forged_checkpoints.map((c) => c.id).join(', ')}`;
        this.logger.error(`audit chain verification failed: ${what}`);
      }
    } catch (err) {
      this.logger.warn(`audit checkpoint skipped: ${(err as Error).message}`);
    }
  }
}
