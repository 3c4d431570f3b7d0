import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { ScopesModule } from '../../scopes/scopes.module';
import { ClaimsInterceptor } from './claims.interceptor';
import { ClaimsService } from './claims.service';

@Module({
  imports: [ScopesModule],
  providers: [ClaimsService, { provide: APP_INTERCEPTOR, useClass: ClaimsInterceptor }],
  exports: [ClaimsService],
})
export class ClaimsModule {}
