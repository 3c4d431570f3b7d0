import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '@scopegate/nest';
import type { Principal } from '@scopegate/nest';
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
import { ConsentsService } from '../tokens/consents/consents.service';
import type { ConsentEntity } from '../tokens/consents/consent.entity';

export class ConsentDto {
  @ApiProperty() client_id: string;
  @ApiProperty({ type: [String], description: 'Scopes the user approved for the client' }) scopes: string[];
  @ApiProperty() granted_at: string;

  static from(c: ConsentEntity): ConsentDto {
    return { client_id: c.clientId, scopes: c.scopes, granted_at: c.grantedAt.toISOString() };
  }
}

@ApiTags('admin: users')
@Authenticated({ scopes: ['admin'] })
@Controller('admin/users')
export class UsersAdminController {
  constructor(
    private readonly users: UsersService,
    private readonly consents: ConsentsService,
  ) {}

  @Get(':id/consents')
  @ApiOperation({ summary: 'The consents the user has given (remembered approvals, by client)' })
  @ApiOkResponse({ type: [ConsentDto] })
  @ApiNotFoundResponse({ description: 'No such user' })
  async listConsents(@Param('id') id: string) {
    await this.users.get(id);
    return (await this.consents.list(id)).map(ConsentDto.from);
  }

  @Delete(':id/consents/:client_id')
  @HttpCode(204)
  @ApiOperation({
    summary:
      "Revoke the user's consent to a client: the consent page is shown again, and the user's refresh tokens, " +
      'live access tokens and unexchanged codes at that client are revoked (audited as consent.revoked)',
  })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such user, or no consent for that client' })
  async revokeConsent(
    @Param('id') id: string,
    @Param('client_id') clientId: string,
    @CurrentPrincipal() by: Principal,
    @Meta() meta: RequestMeta,
  ) {
    await this.users.get(id);
    await this.consents.revoke(id, clientId, by, meta);
  }

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
