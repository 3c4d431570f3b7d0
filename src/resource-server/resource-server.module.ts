import { Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AuditModule } from '../audit/audit.module';
import { KeysModule } from '../keys/keys.module';
import { TokensModule } from '../tokens/tokens.module';
import { ApiCallAuditInterceptor } from './api-call-audit.interceptor';
import { JwtAuthGuard } from './jwt-auth.guard';
import { JwtStrategy } from './jwt.strategy';
import { ScopesGuard } from './scopes.guard';

/**
 * The resource-server side: what another Nest app reuses to accept Scopegate tokens. Guards are
 * global and deny by default; `@Public()` opens a route, `@Authenticated({ scopes })` names its scopes.
 */
@Module({
  imports: [PassportModule, KeysModule, AuditModule, TokensModule],
  providers: [
    JwtStrategy,
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: ScopesGuard },
    { provide: APP_INTERCEPTOR, useClass: ApiCallAuditInterceptor },
  ],
})
export class ResourceServerModule {}
