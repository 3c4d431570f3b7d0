import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
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
import { ClaimCategoryResponseDto, CreateClaimCategoryDto } from '../scopes/dto/scope.dto';
import { ScopesService } from '../scopes/scopes.service';

@ApiTags('admin: scopes and roles')
@Authenticated({ scopes: ['admin'] })
@Controller('admin/claim-categories')
export class ClaimCategoriesAdminController {
  constructor(private readonly scopes: ScopesService) {}

  @Get()
  @ApiOkResponse({ type: [ClaimCategoryResponseDto] })
  async list() {
    const categories = await this.scopes.listCategories();
    return Promise.all(
      categories.map(async (c) => ClaimCategoryResponseDto.from(c, await this.scopes.scopesGranting(c.name))),
    );
  }

  @Post()
  @ApiCreatedResponse({ type: ClaimCategoryResponseDto })
  @ApiConflictResponse({ description: 'A claim category of that name exists' })
  async create(
    @Body() dto: CreateClaimCategoryDto,
    @CurrentPrincipal() by: Principal,
    @Meta() meta: RequestMeta,
  ) {
    return ClaimCategoryResponseDto.from(await this.scopes.createCategory(dto, by, meta), []);
  }

  @Get(':name')
  @ApiOkResponse({ type: ClaimCategoryResponseDto })
  @ApiNotFoundResponse()
  async get(@Param('name') name: string) {
    const c = await this.scopes.getCategory(name);
    return ClaimCategoryResponseDto.from(c, await this.scopes.scopesGranting(c.name));
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'A scope grants the category' })
  async remove(@Param('name') name: string, @CurrentPrincipal() by: Principal, @Meta() meta: RequestMeta) {
    await this.scopes.deleteCategory(name, by, meta);
  }
}
