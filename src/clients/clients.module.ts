import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { ScopesModule } from '../scopes/scopes.module';
import { KeysModule } from '../keys/keys.module';
import { TokensModule } from '../tokens/tokens.module';
import { AdminClientBootstrap } from './admin-client.bootstrap';
import { ClientEntity } from './client.entity';
import { ClientsService } from './clients.service';

@Module({
  imports: [TypeOrmModule.forFeature([ClientEntity]), ScopesModule, AuditModule, TokensModule, KeysModule],
  providers: [ClientsService, AdminClientBootstrap],
  exports: [ClientsService],
})
export class ClientsModule {}
