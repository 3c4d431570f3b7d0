import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { loggerModule } from './common/logging';
import type { AppConfig } from './config/env';
import type { DatabaseConnection } from './database/data-source.options';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';

export interface AppModuleOptions {
  config: AppConfig;
  database: DatabaseConnection;
}

@Module({})
export class AppModule {
  static forRoot({ config, database }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ ...config })] }),
        loggerModule(config),
        DatabaseModule.forRoot(database),
        HealthModule,
      ],
    };
  }
}
