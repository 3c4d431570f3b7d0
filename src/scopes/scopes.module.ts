import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { ClaimCategoryEntity } from '../claims/claim-category.entity';
import { RoleEntity } from './role.entity';
import { RolesAdminController } from './roles.admin.controller';
import { ScopeEntity } from './scope.entity';
import { ScopesAdminController } from './scopes.admin.controller';
import { ScopesService } from './scopes.service';

@Module({
  imports: [TypeOrmModule.forFeature([ScopeEntity, RoleEntity, ClaimCategoryEntity]), AuditModule],
  providers: [ScopesService],
  controllers: [ScopesAdminController, RolesAdminController],
  exports: [ScopesService],
})
export class ScopesModule {}
