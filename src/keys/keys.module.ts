import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { AuditModule } from '../audit/audit.module';
import { JwsService } from './jws.service';
import { KeysService } from './keys.service';

@Module({
  imports: [JwtModule.register({}), AuditModule],
  providers: [KeysService, JwsService],
  exports: [KeysService, JwsService],
})
export class KeysModule {}
