import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../resource-server/decorators';
import { AuditQueryService } from '../audit/audit-query.service';
import { AuditQueryDto } from '../audit/dto/audit-query.dto';

@ApiTags('admin: audit')
@Authenticated({ scopes: ['admin'] })
@Controller('admin/audit')
export class AuditAdminController {
  constructor(private readonly query: AuditQueryService) {}

  @Get()
  @ApiOperation({ summary: 'Audit events, newest first, with filters and cursor pagination' })
  find(@Query() q: AuditQueryDto) {
    return this.query.find(q);
  }

  @Get('verify')
  @ApiOperation({ summary: 'Walk the SHA-256 hash chain and report the first broken link' })
  @ApiOkResponse({ schema: { example: { ok: false, checked: 41, first_broken_id: 42 } } })
  verify() {
    return this.query.verify();
  }
}
