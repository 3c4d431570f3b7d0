import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { KeysModule } from '../keys/keys.module';
import { TokenEntity } from './token.entity';
import { RevocationService } from './revocation.service';
import { TokensService } from './tokens.service';

@Module({
  imports: [TypeOrmModule.forFeature([TokenEntity]), JwtModule.register({}), KeysModule, AuditModule],
  providers: [TokensService, RevocationService],
  exports: [TokensService, RevocationService],
})
export class TokensModule {}
