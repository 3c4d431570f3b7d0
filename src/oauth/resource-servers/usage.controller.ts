import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApisService } from '../../apis/apis.service';
import type { AuditEventInput } from '../../audit/audit.service';
import { UsageReportsService } from '../../audit/usage-reports.service';
import { Meta, type RequestMeta } from '../../platform/http/request-meta';
import { Authenticated, CurrentPrincipal } from '@scopegate/nest';
import type { Principal } from '@scopegate/nest';
import { RESOURCE_SERVER_SCOPE } from '../../scopes/built-in';
import { TokensService } from '../../tokens/tokens.service';
import { UsageBatchDto, UsageReceiptDto } from './usage.dto';

/**
 * Usage reports of resource servers: each protected call becomes an `api.call` audit event with the
 * API's audience, so `GET /admin/audit?jti=` and `GET /admin/tokens/:jti` show remote use. A resource
 * server reports only calls made with tokens meant for the APIs it serves (`resource_server_clients`);
 * others are refused and counted. Batches are idempotent by `batch_id`.
 */
@ApiTags('resource servers')
@Controller('resource-server')
export class UsageController {
  constructor(
    private readonly usage: UsageReportsService,
    private readonly tokens: TokensService,
    private readonly apis: ApisService,
  ) {}

  @Post('usage')
  @HttpCode(200)
  @Authenticated({ scopes: [RESOURCE_SERVER_SCOPE] })
  @ApiOperation({ summary: 'Report protected API calls (batched, idempotent by batch_id)' })
  @ApiOkResponse({ type: UsageReceiptDto })
  async report(
    @Body() batch: UsageBatchDto,
    @CurrentPrincipal() reporter: Principal,
    @Meta() meta: RequestMeta,
  ): Promise<UsageReceiptDto> {
    const serves = new Set(await this.apis.identifiersServedBy(reporter.clientId));
    const records = await this.tokens.records(batch.events.map((e) => e.jti));
    const events: AuditEventInput[] = [];
    for (const e of batch.events) {
      const record = records.get(e.jti);
      const audience = record?.audience.find((a) => serves.has(a));
      if (!record || !audience) continue;
      events.push({
        type: 'api.call',
        outcome: e.decision === 'denied' ? 'denied' : e.status >= 400 ? 'failure' : 'success',
        actor: record.subject,
        subject: record.subject,
        clientId: record.clientId,
        jti: record.jti,
        details: {
          method: e.method,
          path: e.path,
          ...(e.route ? { route: e.route } : {}),
          status: e.status,
          decision: e.decision,
          ...(e.scopes_used ? { scopes_used: e.scopes_used } : {}),
          ...(e.reason ? { reason: e.reason } : {}),
          audience,
          reported_by: reporter.clientId,
          ...(e.occurred_at ? { occurred_at: e.occurred_at } : {}),
        },
        // The call's own request data, as the resource server saw it (none of the reporter's).
        meta: { requestId: e.request_id ?? meta.requestId, ip: e.ip ?? '', userAgent: e.user_agent },
      });
    }
    const rejected = batch.events.length - events.length;
    if (events.length === 0) return { status: 'recorded', accepted: 0, rejected };
    const status = await this.usage.record(reporter.clientId, batch.batch_id, events);
    return { status, accepted: status === 'recorded' ? events.length : 0, rejected };
  }
}
