import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { ClaimCategoryEntity } from './claim-category.entity';
import { RoleEntity } from './role.entity';
import { ScopeEntity } from './scope.entity';
import { ScopesService } from './scopes.service';

@Module({
  imports: [TypeOrmModule.forFeature([ScopeEntity, RoleEntity, ClaimCategoryEntity]), AuditModule],
  providers: [ScopesService],
  exports: [ScopesService],
})
export class ScopesModule {}
