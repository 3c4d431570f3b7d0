import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { ScopesModule } from '../scopes/scopes.module';
import { AdminClientBootstrap } from './admin-client.bootstrap';
import { ClientEntity } from './client.entity';
import { ClientsAdminController } from './clients.admin.controller';
import { ClientsService } from './clients.service';

@Module({
  imports: [TypeOrmModule.forFeature([ClientEntity]), ScopesModule, AuditModule],
  providers: [ClientsService, AdminClientBootstrap],
  controllers: [ClientsAdminController],
  exports: [ClientsService],
})
export class ClientsModule {}
