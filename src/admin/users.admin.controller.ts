import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '../resource-server/decorators';
import type { Principal } from '../resource-server/principal';
import { PageQueryDto } from '../platform/pagination/page-query.dto';
import { Meta, type RequestMeta } from '../platform/http/request-meta';
import {
  CreateUserDto,
  ResetPasswordDto,
  UpdateUserDto,
  UserListDto,
  UserResponseDto,
} from '../users/dto/user.dto';
import { UsersService } from '../users/users.service';

@ApiTags('admin: users')
@Authenticated({ scopes: ['admin'] })
@Controller('admin/users')
export class UsersAdminController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @ApiOperation({ summary: 'Create a user (the password is hashed with argon2id and never returned)' })
  @ApiCreatedResponse({ type: UserResponseDto })
  @ApiBadRequestResponse({ description: 'Weak password, unknown role, malformed field' })
  @ApiConflictResponse({ description: 'The username is taken (case-insensitive)' })
  async create(@Body() dto: CreateUserDto, @CurrentPrincipal() by: Principal, @Meta() meta: RequestMeta) {
    return UserResponseDto.from(await this.users.create(dto, by, meta));
  }

  @Get()
  @ApiOperation({ summary: 'List users (cursor pagination)' })
  @ApiOkResponse({ type: UserListDto })
  async list(@Query() q: PageQueryDto): Promise<UserListDto> {
    const page = await this.users.list(q.limit ?? 20, q.cursor);
    return { data: page.data.map(UserResponseDto.from), next_cursor: page.next_cursor };
  }

  @Get(':id')
  @ApiOkResponse({ type: UserResponseDto })
  @ApiNotFoundResponse()
  async get(@Param('id') id: string) {
    return UserResponseDto.from(await this.users.get(id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update name, email or roles' })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiNotFoundResponse()
  async update(
    @Param('id') id: string,
    @Body() dto: UpdateUserDto,
    @CurrentPrincipal() by: Principal,
    @Meta() meta: RequestMeta,
  ) {
    return UserResponseDto.from(await this.users.update(id, dto, by, meta));
  }

  @Post(':id/disable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Disable a user: they can no longer sign in or refresh tokens' })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiNotFoundResponse()
  async disable(@Param('id') id: string, @CurrentPrincipal() by: Principal, @Meta() meta: RequestMeta) {
    return UserResponseDto.from(await this.users.setStatus(id, 'disabled', by, meta));
  }

  @Post(':id/enable')
  @HttpCode(200)
  @ApiOkResponse({ type: UserResponseDto })
  @ApiNotFoundResponse()
  async enable(@Param('id') id: string, @CurrentPrincipal() by: Principal, @Meta() meta: RequestMeta) {
    return UserResponseDto.from(await this.users.setStatus(id, 'active', by, meta));
  }

  @Post(':id/password')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reset the password (weak passwords are refused)' })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiNotFoundResponse()
  async resetPassword(
    @Param('id') id: string,
    @Body() dto: ResetPasswordDto,
    @CurrentPrincipal() by: Principal,
    @Meta() meta: RequestMeta,
  ) {
    return UserResponseDto.from(await this.users.resetPassword(id, dto.password, by, meta));
  }
}
