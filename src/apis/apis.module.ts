import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { ClientsModule } from '../clients/clients.module';
import { ApiEntity, ApiResourceServerEntity, ApiScopeEntity } from './api.entity';
import { ApisService } from './apis.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([ApiEntity, ApiScopeEntity, ApiResourceServerEntity]),
    AuditModule,
    ClientsModule,
  ],
  providers: [ApisService],
  exports: [ApisService],
})
export class ApisModule {}
