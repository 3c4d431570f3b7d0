import { Module, type DynamicModule, type ModuleMetadata, type Provider } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { AccessTokenGuard } from './access-token.guard';
import { ApiCallAuditInterceptor } from './api-call-audit.interceptor';
import { ClaimsInterceptor } from './claims/claims.interceptor';
import { ClaimsService } from './claims/claims.service';

export interface ResourceServerOptions {
  /** Modules exporting what the port bindings need. */
  imports?: ModuleMetadata['imports'];
  /** Bindings of the ports in resource-server.ports.ts: AccessTokenAuthenticator, ClaimCatalog, ApiCallRecorder. */
  providers: Provider[];
}

/**
 * The resource-server side: what another Nest app reuses to accept Scopegate tokens. One global guard
 * denies by default (`@Public()` opens a route, `@Authenticated({ scopes })` names its scopes); the
 * claims interceptor filters responses by claim category; every call is audited. It reaches the domain
 * only through the ports the application binds here. Global, so controllers can inject ClaimsService.
 */
@Module({})
export class ResourceServerModule {
  static forRoot({ imports = [], providers }: ResourceServerOptions): DynamicModule {
    return {
      module: ResourceServerModule,
      global: true,
      imports,
      providers: [
        ...providers,
        ClaimsService,
        { provide: APP_GUARD, useClass: AccessTokenGuard },
        // In this order: claims filtering outside, the call audit inside.
        { provide: APP_INTERCEPTOR, useClass: ClaimsInterceptor },
        { provide: APP_INTERCEPTOR, useClass: ApiCallAuditInterceptor },
      ],
      exports: [ClaimsService],
    };
  }
}
