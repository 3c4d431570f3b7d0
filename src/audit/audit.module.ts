import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditEventEntity } from './audit-event.entity';
import { AuditQueryService } from './audit-query.service';
import { AuditService } from './audit.service';
import { UsageBatchEntity } from './usage-batch.entity';
import { UsageReportsService } from './usage-reports.service';

@Module({
  imports: [TypeOrmModule.forFeature([AuditEventEntity, UsageBatchEntity])],
  providers: [AuditService, AuditQueryService, UsageReportsService],
  exports: [AuditService, AuditQueryService, UsageReportsService],
})
export class AuditModule {}
