import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { join } from 'node:path';
import { Module, type DynamicModule } from '@nestjs/common';
import { CoreModule, type CoreModuleOptions } from '../../core.module';
import { SeedModule } from './seed.module';
import { ConfigError } from '../../config/env';
import { loadConfig } from '../../config/load-config';
import { EmbeddedPostgres } from '../../platform/db/embedded-postgres';
import { probeDatabase } from '../../platform/db/probe';
import { DemoDelegationSeeder } from './demo-delegation';
import { DemoSeeder } from './demo-seeder';

/** The core (configuration, database, domain services) and the seeders: no HTTP routes. */
@Module({})
class SeedCommandModule {
  static forRoot(options: CoreModuleOptions): DynamicModule {
    return { module: SeedCommandModule, imports: [CoreModule.forRoot(options), SeedModule] };
  }
}

/** `npm run seed`: migrations, then the demo catalog, customers and clients (idempotent). */
async function main(): Promise<void> {
  const config = loadConfig();
  config.SEED_DEMO = false; // seeded explicitly below, once
  const embedded = config.DATABASE_URL
    ? undefined
    : await EmbeddedPostgres.start(join(config.DATA_DIR, 'pgdata'));
  const url = config.DATABASE_URL ?? embedded!.url;
  try {
    if (!embedded) await probeDatabase(url);
    const app = await NestFactory.createApplicationContext(
      SeedCommandModule.forRoot({
        config,
        database: {
          url,
          poolSize: embedded ? EmbeddedPostgres.poolSize : 2,
          migrationsRun: true,
          embedded: Boolean(embedded),
        },
      }),
      { logger: ['error', 'warn'], abortOnError: false },
    );
    const seeder = app.get(DemoSeeder);
    const created = await seeder.seed();
    if (!seeder.principals())
      process.stdout.write(
        'Demo catalog and customers seeded; no demo clients or user (SEED_DEMO_PRINCIPALS off).\n',
      );
    else if (created.length) seeder.announce(created);
    else process.stdout.write('Demo catalog and clients already present; nothing to do.\n');
    if (seeder.principals()) {
      const delegation = app.get(DemoDelegationSeeder);
      delegation.announce(await delegation.seed());
    }
    await app.close();
  } finally {
    await embedded?.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${err instanceof ConfigError ? err.message : `Seed failed: ${(err as Error).message}`}\n`,
  );
  process.exit(1);
});
