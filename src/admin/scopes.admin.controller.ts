import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '@scopegate/nest';
import type { Principal } from '@scopegate/nest';
import { Meta, type RequestMeta } from '../platform/http/request-meta';
import { CreateScopeDto, ScopeResponseDto, UpdateScopeDto } from '../scopes/dto/scope.dto';
import { ScopesService } from '../scopes/scopes.service';

@ApiTags('admin: scopes and roles')
@Authenticated({ scopes: ['admin'] })
@Controller('admin/scopes')
export class ScopesAdminController {
  constructor(private readonly scopes: ScopesService) {}

  @Get()
  @ApiOkResponse({ type: [ScopeResponseDto] })
  async list() {
    return (await this.scopes.listScopes()).map(ScopeResponseDto.from);
  }

  @Post()
  @ApiCreatedResponse({ type: ScopeResponseDto })
  @ApiConflictResponse({ description: 'A scope of that name exists' })
  async create(@Body() dto: CreateScopeDto, @CurrentPrincipal() by: Principal, @Meta() meta: RequestMeta) {
    return ScopeResponseDto.from(await this.scopes.createScope(dto, by, meta));
  }

  @Get(':name')
  @ApiOkResponse({ type: ScopeResponseDto })
  @ApiNotFoundResponse()
  async get(@Param('name') name: string) {
    return ScopeResponseDto.from(await this.scopes.getScope(name));
  }

  @Patch(':name')
  @ApiOkResponse({ type: ScopeResponseDto })
  @ApiNotFoundResponse()
  async update(
    @Param('name') name: string,
    @Body() dto: UpdateScopeDto,
    @CurrentPrincipal() by: Principal,
    @Meta() meta: RequestMeta,
  ) {
    return ScopeResponseDto.from(await this.scopes.updateScope(name, dto, by, meta));
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiNotFoundResponse()
  @ApiConflictResponse({
    description:
      'A client, a role or a remembered user consent still names the scope (the message says which)',
  })
  async remove(@Param('name') name: string, @CurrentPrincipal() by: Principal, @Meta() meta: RequestMeta) {
    await this.scopes.deleteScope(name, by, meta);
  }
}
