import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '../resource-server/decorators';
import type { Principal } from '../resource-server/principal';
import { Meta, type RequestMeta } from '../platform/http/request-meta';
import { RevocationService } from '../tokens/revocation.service';
import { TokenUsageService } from '../tokens/token-usage.service';

@ApiTags('admin: tokens and keys')
@Authenticated({ scopes: ['admin'] })
@Controller('admin/tokens')
export class TokensAdminController {
  constructor(
    private readonly usage: TokenUsageService,
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
  get(@Param('jti') jti: string) {
    return this.usage.describe(jti);
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
    await this.usage.describe(jti); // 404 for an unknown jti
    await this.revocations.revoke(
      { jti },
      'revoked by an administrator',
      { actor: by.sub, clientId: by.clientId, jti: by.jti },
      meta,
    );
  }
}
