import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '@scopegate/nest';
import type { Principal } from '@scopegate/nest';
import { Meta, type RequestMeta } from '../platform/http/request-meta';
import { AddRoleScopeDto, CreateRoleDto, RoleResponseDto, UpdateRoleDto } from '../scopes/dto/scope.dto';
import { ScopesService } from '../scopes/scopes.service';

@ApiTags('admin: scopes and roles')
@Authenticated({ scopes: ['admin'] })
@Controller('admin/roles')
export class RolesAdminController {
  constructor(private readonly scopes: ScopesService) {}

  @Get()
  @ApiOkResponse({ type: [RoleResponseDto] })
  async list() {
    return (await this.scopes.listRoles()).map(RoleResponseDto.from);
  }

  @Post()
  @ApiCreatedResponse({ type: RoleResponseDto })
  @ApiConflictResponse({ description: 'A role of that name exists' })
  async create(@Body() dto: CreateRoleDto, @CurrentPrincipal() by: Principal, @Meta() meta: RequestMeta) {
    return RoleResponseDto.from(await this.scopes.createRole(dto, by, meta));
  }

  @Get(':name')
  @ApiOkResponse({ type: RoleResponseDto })
  @ApiNotFoundResponse()
  async get(@Param('name') name: string) {
    return RoleResponseDto.from(await this.scopes.getRole(name));
  }

  @Patch(':name')
  @ApiOkResponse({ type: RoleResponseDto })
  @ApiNotFoundResponse()
  async update(
    @Param('name') name: string,
    @Body() dto: UpdateRoleDto,
    @CurrentPrincipal() by: Principal,
    @Meta() meta: RequestMeta,
  ) {
    return RoleResponseDto.from(await this.scopes.updateRole(name, dto, by, meta));
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The role is assigned to a client or user' })
  async remove(@Param('name') name: string, @CurrentPrincipal() by: Principal, @Meta() meta: RequestMeta) {
    await this.scopes.deleteRole(name, by, meta);
  }

  @Post(':name/scopes')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add one scope to the role, keeping the others' })
  @ApiOkResponse({ type: RoleResponseDto })
  @ApiBadRequestResponse({ description: 'Unknown scope' })
  @ApiNotFoundResponse()
  async addScope(
    @Param('name') name: string,
    @Body() dto: AddRoleScopeDto,
    @CurrentPrincipal() by: Principal,
    @Meta() meta: RequestMeta,
  ) {
    return RoleResponseDto.from(await this.scopes.addRoleScope(name, dto.scope, by, meta));
  }

  @Delete(':name/scopes/:scope')
  @ApiOperation({ summary: 'Remove one scope from the role, keeping the others' })
  @ApiOkResponse({ type: RoleResponseDto })
  @ApiNotFoundResponse({ description: 'No such role, or the role does not hold the scope' })
  async removeScope(
    @Param('name') name: string,
    @Param('scope') scope: string,
    @CurrentPrincipal() by: Principal,
    @Meta() meta: RequestMeta,
  ) {
    return RoleResponseDto.from(await this.scopes.removeRoleScope(name, scope, by, meta));
  }
}
