import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '@scopegate/nest';
import type { Principal } from '@scopegate/nest';
import { Meta, type RequestMeta } from '../platform/http/request-meta';
import { AuditQueryService } from '../audit/audit-query.service';
import { RevocationService } from '../tokens/revocation.service';
import { TokensService } from '../tokens/tokens.service';

@ApiTags('admin: tokens and keys')
@Authenticated({ scopes: ['admin'] })
@Controller('admin/tokens')
export class TokensAdminController {
  constructor(
    private readonly tokens: TokensService,
    private readonly auditQuery: AuditQueryService,
    private readonly revocations: RevocationService,
  ) {}

  @Get(':jti')
  @ApiOperation({
    summary: 'A token record and its usage (calls, first/last use, IPs, user agents, endpoints)',
  })
  @ApiOkResponse({
    schema: {
      example: {
        jti: 'f2bc52cc-2998-4049-8bbb-1044b8002337',
        client_id: 'demo-manager',
        scope: 'customers:read',
        revoked_at: null,
        usage: {
          calls: 3,
          refused: 0,
          first_used_at: '2026-11-23T20:00:00.000Z',
          distinct_ips: ['127.0.0.1'],
          endpoints: ['GET /customers/:id'],
        },
      },
    },
  })
  @ApiNotFoundResponse()
  async get(@Param('jti') jti: string) {
    // The record from its owner (tokens), the usage from the audit log's owner.
    const record = await this.tokens.record(jti);
    return {
      jti: record.jti,
      client_id: record.clientId,
      sub: record.subject,
      scope: record.scopes.join(' '),
      aud: record.audience,
      grant_type: record.grantType,
      kid: record.kid,
      issued_at: record.issuedAt.toISOString(),
      expires_at: record.expiresAt.toISOString(),
      revoked_at: record.revokedAt?.toISOString() ?? null,
      revoked_reason: record.revokedReason,
      txn: record.requestId,
      usage: await this.auditQuery.usageOf(record.jti),
    };
  }

  @Delete(':jti')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke one access token at once, on every instance' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  async revoke(
    @Param('jti') jti: string,
    @CurrentPrincipal() by: Principal,
    @Meta() meta: RequestMeta,
  ): Promise<void> {
    await this.tokens.record(jti); // 404 for an unknown jti
    await this.revocations.revoke(
      { jti },
      'revoked by an administrator',
      { actor: by.sub, clientId: by.clientId, jti: by.jti },
      meta,
    );
  }
}
