import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AuditModule } from './audit/audit.module';
import { ClientsModule } from './clients/clients.module';
import type { AppConfig } from './config/env';
import { SCHEMA } from './database/schema';
import { KeysModule } from './keys/keys.module';
import type { DatabaseConnection } from './platform/db/connection';
import { DatabaseModule } from './platform/db/database.module';
import { loggerModule } from './platform/http/logging';
import { PlatformMetricsModule } from './platform/metrics/metrics.module';
import { PlatformModule } from './platform/platform.module';
import { ScopesModule } from './scopes/scopes.module';
import { TokensModule } from './tokens/tokens.module';
import { UsersModule } from './users/users.module';

export interface CoreModuleOptions {
  config: AppConfig;
  database: DatabaseConnection;
}

/**
 * Configuration, the database and the domain modules, without any HTTP route: what the server
 * (AppModule) and the seed command both stand on.
 */
@Module({})
export class CoreModule {
  static forRoot({ config, database }: CoreModuleOptions): DynamicModule {
    const modules = [AuditModule, KeysModule, ScopesModule, TokensModule, ClientsModule, UsersModule];
    return {
      module: CoreModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ ...config })] }),
        loggerModule(config),
        DatabaseModule.forRoot(database, SCHEMA),
        PlatformModule,
        PlatformMetricsModule,
        ...modules,
      ],
      exports: modules,
    };
  }
}
