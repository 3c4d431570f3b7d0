import { Module } from '@nestjs/common';
import { ApisModule } from '../apis/apis.module';
import { AuditModule } from '../audit/audit.module';
import { ClientsModule } from '../clients/clients.module';
import { KeysModule } from '../keys/keys.module';
import { ScopesModule } from '../scopes/scopes.module';
import { TokensModule } from '../tokens/tokens.module';
import { UsersModule } from '../users/users.module';
import { ApisAdminController } from './apis.admin.controller';
import { AuditAdminController } from './audit.admin.controller';
import { ClaimCategoriesAdminController } from './claim-categories.admin.controller';
import { ClientsAdminController } from './clients.admin.controller';
import { KeysAdminController } from './keys.admin.controller';
import { RolesAdminController } from './roles.admin.controller';
import { ScopesAdminController } from './scopes.admin.controller';
import { TokensAdminController } from './tokens.admin.controller';
import { UsersAdminController } from './users.admin.controller';

/**
 * The administration API (`/admin/*`, scope `admin`): thin controllers over the domain services, which
 * decide and audit. Nothing below this layer knows these routes exist.
 */
@Module({
  imports: [ApisModule, AuditModule, ClientsModule, KeysModule, ScopesModule, TokensModule, UsersModule],
  controllers: [
    ApisAdminController,
    AuditAdminController,
    ClaimCategoriesAdminController,
    ClientsAdminController,
    KeysAdminController,
    RolesAdminController,
    ScopesAdminController,
    TokensAdminController,
    UsersAdminController,
  ],
})
export class AdminModule {}
