import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { KeysModule } from '../keys/keys.module';
import { AccessTokenVerifier } from './access-token-verifier';
import { AuthorizationCodeEntity } from './codes/authorization-code.entity';
import { AuthorizationCodesService } from './codes/authorization-codes.service';
import { ConsentEntity } from './consents/consent.entity';
import { ConsentsService } from './consents/consents.service';
import { RefreshTokenEntity } from './refresh/refresh-token.entity';
import { RefreshTokensService } from './refresh/refresh-tokens.service';
import { RevocationService } from './revocation.service';
import { TokenEntity } from './token.entity';
import { TokensService } from './tokens.service';

/** Owns tokens, refresh_tokens, authorization_codes and consents: nothing else reads or writes them. */
const SERVICES = [
  TokensService,
  RevocationService,
  AccessTokenVerifier,
  RefreshTokensService,
  AuthorizationCodesService,
  ConsentsService,
];

@Module({
  imports: [
    TypeOrmModule.forFeature([TokenEntity, RefreshTokenEntity, AuthorizationCodeEntity, ConsentEntity]),
    KeysModule,
    AuditModule,
  ],
  providers: SERVICES,
  exports: SERVICES,
})
export class TokensModule {}
