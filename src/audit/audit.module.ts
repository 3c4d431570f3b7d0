import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditArchiveService } from './audit-archive.service';
import { AuditCheckpointEntity } from './audit-checkpoint.entity';
import { AuditCheckpointScheduler } from './audit-checkpoint.scheduler';
import { AuditCheckpointsService } from './audit-checkpoints.service';
import { AuditEventEntity } from './audit-event.entity';
import { AuditKeys } from './audit-keys';
import { AuditQueryService } from './audit-query.service';
import { AuditVerifier } from './audit-verifier';
import { AuditService } from './audit.service';
import { UsageBatchEntity } from './usage-batch.entity';
import { UsageReportsService } from './usage-reports.service';

@Module({
  imports: [TypeOrmModule.forFeature([AuditEventEntity, AuditCheckpointEntity, UsageBatchEntity])],
  providers: [
    AuditKeys,
    AuditService,
    AuditQueryService,
    AuditCheckpointsService,
    AuditVerifier,
    AuditCheckpointScheduler,
    AuditArchiveService,
    UsageReportsService,
  ],
  exports: [AuditService, AuditQueryService, AuditVerifier, AuditArchiveService, UsageReportsService],
})
export class AuditModule {}
