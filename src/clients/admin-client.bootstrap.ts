import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/env';
import { ClientsService } from './clients.service';

/** Bootstrap: ADMIN_CLIENT_ID/SECRET ensure a confidential client_credentials client with scope `admin`. */
@Injectable()
export class AdminClientBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminClientBootstrap.name);

  constructor(
    private readonly clients: ClientsService,
    @Inject(ConfigService) private readonly config: ConfigService<AppConfig, true>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const clientId = this.config.get('ADMIN_CLIENT_ID', { infer: true });
    const secret = this.config.get('ADMIN_CLIENT_SECRET', { infer: true });
    if (!clientId || !secret) return;
    const result = await this.clients.ensure(
      {
        client_name: 'Bootstrap admin',
        grant_types: ['client_credentials'],
        scope: 'admin',
        token_endpoint_auth_method: 'client_secret_basic',
      },
      clientId,
      secret,
    );
    this.logger.log(`admin client ${clientId} ${result === 'created' ? 'created' : 'checked'}`);
  }
}
