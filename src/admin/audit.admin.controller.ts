import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '@scopegate/nest';
import type { Principal } from '@scopegate/nest';
import { Meta, type RequestMeta } from '../platform/http/request-meta';
import { AuditArchiveService } from '../audit/audit-archive.service';
import { AuditQueryService } from '../audit/audit-query.service';
import { AuditVerifier } from '../audit/audit-verifier';
import { AuditArchiveDto, AuditArchiveResultDto } from '../audit/dto/audit-archive.dto';
import { AuditQueryDto } from '../audit/dto/audit-query.dto';
import { AuditVerificationDto, AuditVerifyQueryDto } from '../audit/dto/audit-verify.dto';

@ApiTags('admin: audit')
@Authenticated({ scopes: ['admin'] })
@Controller('admin/audit')
export class AuditAdminController {
  constructor(
    private readonly query: AuditQueryService,
    private readonly verifier: AuditVerifier,
    private readonly archiver: AuditArchiveService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Audit events, newest first, with filters and cursor pagination' })
  find(@Query() q: AuditQueryDto) {
    return this.query.find(q);
  }

  @Get('verify')
  @ApiOperation({
    summary: 'Verify the keyed hash chain from the latest signed checkpoint and name the first bad event',
    description:
      'Walks the events after the latest checkpoint whose signature verifies (all of them with `full=true`), ' +
      'names the first edited, inserted or removed event, and when intact records a signed checkpoint at the head.',
  })
  @ApiOkResponse({ type: AuditVerificationDto })
  verify(@Query() q: AuditVerifyQueryDto): Promise<AuditVerificationDto> {
    return this.verifier.verify({ full: q.full });
  }

  @Post('archive')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Delete events older than `before`, up to a signed checkpoint (retention)',
    description:
      'Verifies the whole chain first; deletes the events before the cut and records an `archive` checkpoint ' +
      'there, from which verify continues. Export what you must keep (GET /admin/audit) beforehand.',
  })
  @ApiOkResponse({ type: AuditArchiveResultDto })
  @ApiConflictResponse({ description: 'The chain does not verify; nothing was deleted' })
  archive(
    @Body() dto: AuditArchiveDto,
    @CurrentPrincipal() by: Principal,
    @Meta() meta: RequestMeta,
  ): Promise<AuditArchiveResultDto> {
    return this.archiver.archive(
      new Date(dto.before),
      { sub: by.sub, clientId: by.clientId, jti: by.jti },
      meta,
    );
  }
}
