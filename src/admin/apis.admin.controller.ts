import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApisService } from '../apis/apis.service';
import { ApiResponseDto, CreateApiDto, UpdateApiDto } from '../apis/dto/api.dto';
import { Authenticated, CurrentPrincipal } from '@scopegate/nest';
import type { Principal } from '@scopegate/nest';
import { Meta, type RequestMeta } from '../platform/http/request-meta';

@ApiTags('admin: APIs')
@Authenticated({ scopes: ['admin'] })
@Controller('admin/apis')
export class ApisAdminController {
  constructor(private readonly apis: ApisService) {}

  @Get()
  @ApiOkResponse({ type: [ApiResponseDto] })
  async list() {
    return (await this.apis.list()).map(ApiResponseDto.from);
  }

  @Post()
  @ApiOperation({
    summary: 'Register an API (RFC 8707 resource server)',
    description:
      'Tokens requested with `resource=<identifier>` carry it as `aud` and only the scopes listed here.',
  })
  @ApiCreatedResponse({ type: ApiResponseDto })
  @ApiBadRequestResponse({
    description: 'Invalid identifier, unknown scope or client, client without the resource-server scope',
  })
  @ApiConflictResponse({ description: 'An API with this identifier exists' })
  async create(@Body() dto: CreateApiDto, @CurrentPrincipal() by: Principal, @Meta() meta: RequestMeta) {
    return ApiResponseDto.from(await this.apis.create(dto, by, meta));
  }

  @Get(':id')
  @ApiOkResponse({ type: ApiResponseDto })
  @ApiNotFoundResponse()
  async get(@Param('id') id: string) {
    return ApiResponseDto.from(await this.apis.get(id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change the name, the scopes or the serving clients (each list is replaced)' })
  @ApiOkResponse({ type: ApiResponseDto })
  @ApiNotFoundResponse()
  async update(
    @Param('id') id: string,
    @Body() dto: UpdateApiDto,
    @CurrentPrincipal() by: Principal,
    @Meta() meta: RequestMeta,
  ) {
    return ApiResponseDto.from(await this.apis.update(id, dto, by, meta));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove an API: tokens can no longer be requested for it; issued ones run out' })
  @ApiNotFoundResponse()
  async remove(@Param('id') id: string, @CurrentPrincipal() by: Principal, @Meta() meta: RequestMeta) {
    await this.apis.remove(id, by, meta);
  }
}
