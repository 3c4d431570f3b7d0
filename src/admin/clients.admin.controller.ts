import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '@scopegate/nest';
import type { Principal } from '@scopegate/nest';
import { PageQueryDto } from '../platform/pagination/page-query.dto';
import { Meta, type RequestMeta } from '../platform/http/request-meta';
import { ClientsService, type IssuedCredentials } from '../clients/clients.service';
import {
  ClientCredentialsResponseDto,
  ClientListDto,
  ClientResponseDto,
  CreateClientDto,
  UpdateClientDto,
} from '../clients/dto/client.dto';

function withCredentials({ client, clientSecret, apiKey }: IssuedCredentials): ClientCredentialsResponseDto {
  return {
    ...ClientResponseDto.from(client),
    ...(clientSecret ? { client_secret: clientSecret, client_secret_expires_at: 0 } : {}),
    ...(apiKey ? { api_key: apiKey } : {}),
  };
}

@ApiTags('admin: clients')
@Authenticated({ scopes: ['admin'] })
@Controller('admin/clients')
export class ClientsAdminController {
  constructor(private readonly clients: ClientsService) {}

  @Post()
  @ApiOperation({
    summary: 'Register a client (RFC 7591 metadata); the secret and API key are shown this once',
  })
  @ApiCreatedResponse({ type: ClientCredentialsResponseDto })
  async create(@Body() dto: CreateClientDto, @CurrentPrincipal() by: Principal, @Meta() meta: RequestMeta) {
    return withCredentials(await this.clients.create(dto, by, meta));
  }

  @Get()
  @ApiOperation({ summary: 'List clients (cursor pagination)' })
  @ApiOkResponse({ type: ClientListDto })
  async list(@Query() q: PageQueryDto): Promise<ClientListDto> {
    const page = await this.clients.list(q.limit ?? 20, q.cursor);
    return { data: page.data.map(ClientResponseDto.from), next_cursor: page.next_cursor };
  }

  @Get(':clientId')
  @ApiOkResponse({ type: ClientResponseDto })
  @ApiNotFoundResponse()
  async get(@Param('clientId') clientId: string) {
    return ClientResponseDto.from(await this.clients.get(clientId));
  }

  @Patch(':clientId')
  @ApiOperation({
    summary: 'Update client metadata; turning require_api_key on returns the new api_key once',
  })
  @ApiOkResponse({ type: ClientCredentialsResponseDto })
  @ApiNotFoundResponse()
  async update(
    @Param('clientId') clientId: string,
    @Body() dto: UpdateClientDto,
    @CurrentPrincipal() by: Principal,
    @Meta() meta: RequestMeta,
  ) {
    const client = (await this.clients.update(clientId, dto, by, meta)) as Awaited<
      ReturnType<ClientsService['update']>
    > & { issuedApiKey?: string };
    return withCredentials({ client, apiKey: client.issuedApiKey });
  }

  @Post(':clientId/disable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Disable a client: it can no longer authenticate' })
  @ApiOkResponse({ type: ClientResponseDto })
  @ApiNotFoundResponse()
  async disable(
    @Param('clientId') clientId: string,
    @CurrentPrincipal() by: Principal,
    @Meta() meta: RequestMeta,
  ) {
    return ClientResponseDto.from(await this.clients.setStatus(clientId, 'disabled', by, meta));
  }

  @Post(':clientId/enable')
  @HttpCode(200)
  @ApiOkResponse({ type: ClientResponseDto })
  @ApiNotFoundResponse()
  async enable(
    @Param('clientId') clientId: string,
    @CurrentPrincipal() by: Principal,
    @Meta() meta: RequestMeta,
  ) {
    return ClientResponseDto.from(await this.clients.setStatus(clientId, 'active', by, meta));
  }

  @Delete(':clientId/tokens')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke every live token of the client, at once, on every instance' })
  @ApiOkResponse({ schema: { example: { revoked: 12 } } })
  @ApiNotFoundResponse()
  async revokeTokens(
    @Param('clientId') clientId: string,
    @CurrentPrincipal() by: Principal,
    @Meta() meta: RequestMeta,
  ) {
    return { revoked: await this.clients.revokeTokens(clientId, by, meta) };
  }

  @Post(':clientId/secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'Rotate the client secret; the previous one stays valid for the grace period' })
  @ApiOkResponse({ type: ClientCredentialsResponseDto })
  @ApiNotFoundResponse()
  async rotateSecret(
    @Param('clientId') clientId: string,
    @CurrentPrincipal() by: Principal,
    @Meta() meta: RequestMeta,
  ) {
    return withCredentials(await this.clients.rotateSecret(clientId, by, meta));
  }

  @Post(':clientId/api-key')
  @HttpCode(200)
  @ApiOperation({ summary: 'Issue a new API key (the old one stops working at once)' })
  @ApiOkResponse({ type: ClientCredentialsResponseDto })
  @ApiNotFoundResponse()
  async rotateApiKey(
    @Param('clientId') clientId: string,
    @CurrentPrincipal() by: Principal,
    @Meta() meta: RequestMeta,
  ) {
    return withCredentials(await this.clients.rotateApiKey(clientId, by, meta));
  }
}
