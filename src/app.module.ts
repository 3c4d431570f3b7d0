import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AdminModule } from './admin/admin.module';
import { CoreModule, type CoreModuleOptions } from './core.module';
import { CustomersModule } from './demo/customers/customers.module';
import { SeedModule } from './demo/seeds/seed.module';
import { OAuthModule } from './oauth/oauth.module';
import { HealthModule } from './ops/health.module';
import { MetricsModule } from './ops/metrics.module';
import { AllExceptionsFilter } from './platform/http/all-exceptions.filter';
import { StrictValidationPipe } from './platform/http/validation.pipe';
import { ResourceServer } from './resource-server.wiring';

export type AppModuleOptions = CoreModuleOptions;

/** The HTTP server: the core plus every route (OAuth endpoints, resource server, admin, demo, ops). */
@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(options),
        HealthModule,
        // METRICS_PORT: /metrics is served on its own port (bootstrap.ts), not here.
        ...(options.config.METRICS_PORT === undefined ? [MetricsModule] : []),
        ResourceServer,
        OAuthModule.forRoot({ simpleLogin: options.config.SIMPLE_LOGIN }),
        AdminModule,
        CustomersModule,
        SeedModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: APP_PIPE, useValue: new StrictValidationPipe() },
      ],
    };
  }
}
