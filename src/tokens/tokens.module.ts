import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { KeysModule } from '../keys/keys.module';
import { TokenEntity } from './token.entity';
import { AccessTokenVerifier } from './access-token-verifier';
import { RevocationService } from './revocation.service';
import { TokensService } from './tokens.service';
import { TokenUsageService } from './token-usage.service';
import { TokensAdminController } from './tokens.admin.controller';

@Module({
  imports: [TypeOrmModule.forFeature([TokenEntity]), KeysModule, AuditModule],
  providers: [TokensService, RevocationService, AccessTokenVerifier, TokenUsageService],
  controllers: [TokensAdminController],
  exports: [TokensService, RevocationService, AccessTokenVerifier],
})
export class TokensModule {}
