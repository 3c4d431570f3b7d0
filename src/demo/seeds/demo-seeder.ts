import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { ClientsService } from '../../clients/clients.service';
import type { AppConfig } from '../../config/env';
import { CustomerEntity } from '../customers/customer.entity';
import { ScopesService } from '../../scopes/scopes.service';
import { DEMO_CATEGORIES, DEMO_ROLES, DEMO_SCOPES } from './demo-catalog';
import { DemoDelegationSeeder } from './demo-delegation';
import { demoCustomerId, demoCustomers } from './demo-customers';

export interface DemoCredential {
  role: string;
  client_id: string;
  client_secret: string;
}

export const DEMO_CLIENT_ROLES = ['viewer', 'salesperson', 'manager', 'editor', 'admin'];

/**
 * Seeds the demo catalog, 1,000 deterministic customers and (outside production) one demo client per role.
 * Idempotent: existing rows are left alone; only clients it creates get a (printed, once) secret.
 */
@Injectable()
export class DemoSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger(DemoSeeder.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clients: ClientsService,
    private readonly scopes: ScopesService,
    private readonly delegation: DemoDelegationSeeder,
    @Inject(ConfigService) private readonly config: ConfigService<AppConfig, true>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.get('SEED_DEMO', { infer: true })) return;
    const created = await this.seed();
    if (!this.principals()) {
      this.logger.log(
        'demo catalog and customers seeded; no demo clients or user (SEED_DEMO_PRINCIPALS off)',
      );
      return;
    }
    if (created.length) this.announce(created);
    else this.logger.log('demo catalog present; demo client secrets were shown when they were created');
    // After the catalog: the demo user's role must exist.
    this.delegation.announce(await this.delegation.seed());
  }

  /**
   * Demo clients and the demo user have well-known ids, roles up to `admin` and printed secrets:
   * never seeded in production (SEED_DEMO_PRINCIPALS, see config/env.ts).
   */
  principals(): boolean {
    return this.config.get('SEED_DEMO_PRINCIPALS', { infer: true });
  }

  /** The catalog and customers; the demo clients too unless {@link principals} is off. */
  async seed(): Promise<DemoCredential[]> {
    await this.scopes.ensureCatalog({ categories: DEMO_CATEGORIES, scopes: DEMO_SCOPES, roles: DEMO_ROLES });
    await this.dataSource.transaction(async (m) => {
      const customers = demoCustomers();
      for (let i = 0; i < customers.length; i += 250) {
        await m
          .createQueryBuilder()
          .insert()
          .into(CustomerEntity)
          .values(customers.slice(i, i + 250))
          .orIgnore()
          .execute();
      }
    });

    const created: DemoCredential[] = [];
    if (!this.principals()) return created;
    for (const role of DEMO_CLIENT_ROLES) {
      const clientId = `demo-${role}`;
      if (await this.clients.findById(clientId)) continue;
      const { clientSecret } = await this.clients.create(
        // The demo clients may also use POST /auth (when SIMPLE_LOGIN is on), as the README shows.
        { client_name: `Demo ${role}`, grant_types: ['client_credentials'], role, simple_login: true },
        { sub: 'system' },
        undefined,
        { clientId },
      );
      created.push({ role, client_id: clientId, client_secret: clientSecret! });
    }
    return created;
  }

  /** Zero-setup mode: print, once, the new demo credentials and a ready curl line. */
  announce(created: DemoCredential[]): void {
    const issuer = this.config.get('ISSUER', { infer: true });
    const manager = created.find((c) => c.role === 'manager') ?? created[0];
    const customer = demoCustomerId(0);
    if (this.config.get('EMBEDDED_DATABASE', { infer: true })) {
      const file = join(this.config.get('DATA_DIR', { infer: true }), 'demo-clients.json');
      writeFileSync(file, JSON.stringify(created, null, 2), { mode: 0o600 });
      chmodSync(file, 0o600);
    }
    const lines = [
      '',
      'Demo clients created (secrets are shown this once; zero-setup mode also keeps them in DATA_DIR/demo-clients.json):',
      ...created.map(
        (c) => `  ${c.role.padEnd(12)} client_id=${c.client_id}  client_secret=${c.client_secret}`,
      ),
      '',
      `Read a customer as the ${manager.role} (profile and address fields only):`,
      `  curl -s -H "Authorization: Bearer $(curl -s -u ${manager.client_id}:${manager.client_secret} -d grant_type=client_credentials ${issuer}/oauth/token | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')" ${issuer}/customers/${customer}`,
      '',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }
}
