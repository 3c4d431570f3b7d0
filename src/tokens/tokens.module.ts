import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { KeysModule } from '../keys/keys.module';
import { TokenEntity } from './token.entity';
import { AccessTokenVerifier } from './access-token-verifier';
import { RevocationService } from './revocation.service';
import { TokensService } from './tokens.service';
import { TokenUsageService } from './token-usage.service';

@Module({
  imports: [TypeOrmModule.forFeature([TokenEntity]), KeysModule, AuditModule],
  providers: [TokensService, RevocationService, AccessTokenVerifier, TokenUsageService],
  exports: [TokensService, RevocationService, AccessTokenVerifier, TokenUsageService],
})
export class TokensModule {}
