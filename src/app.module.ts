import { DynamicModule, Module, ValidationPipe } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { ClaimsModule } from './claims/claims.module';
import { ClientsModule } from './clients/clients.module';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { CommonModule } from './common/common.module';
import { loggerModule } from './common/logging';
import type { AppConfig } from './config/env';
import { CustomersModule } from './customers/customers.module';
import type { DatabaseConnection } from './database/data-source.options';
import { DatabaseModule } from './database/database.module';
import { SeedModule } from './database/seeds/seed.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { KeysModule } from './keys/keys.module';
import { OAuthModule } from './oauth/oauth.module';
import { ScopesModule } from './scopes/scopes.module';
import { TokensModule } from './tokens/tokens.module';
import { UsersModule } from './users/users.module';

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
        CommonModule,
        HealthModule,
        MetricsModule,
        AuditModule,
        KeysModule,
        ScopesModule,
        ClaimsModule,
        ClientsModule,
        TokensModule,
        UsersModule,
        AuthModule,
        OAuthModule,
        CustomersModule,
        SeedModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        {
          provide: APP_PIPE,
          useValue: new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
        },
      ],
    };
  }
}
