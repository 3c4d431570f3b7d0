import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { JwsService } from './jws.service';
import { KeysService } from './keys.service';

@Module({
  imports: [AuditModule],
  providers: [KeysService, JwsService],
  exports: [KeysService, JwsService],
})
export class KeysModule {}
