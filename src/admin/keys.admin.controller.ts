import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { Authenticated, CurrentPrincipal } from '../resource-server/decorators';
import type { Principal } from '../resource-server/principal';
import { Meta, type RequestMeta } from '../platform/http/request-meta';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../config/env';
import { KeysService } from '../keys/keys.service';
import type { SigningKeyEntity } from '../keys/signing-key.entity';

export class RotateKeyDto {
  @ApiPropertyOptional({ enum: SIGNING_ALGORITHMS, description: 'Default: SIGNING_ALG' })
  @IsOptional()
  @IsIn(SIGNING_ALGORITHMS)
  alg?: SigningAlgorithm;
}

export class KeyDto {
  @ApiProperty() kid: string;
  @ApiProperty({ enum: SIGNING_ALGORITHMS }) alg: string;
  @ApiProperty({ enum: ['next', 'active', 'retired'] }) status: string;
  @ApiProperty({ nullable: true, type: String }) activate_at: string | null;
  @ApiProperty({ nullable: true, type: String }) retired_at: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'A retired key leaves the JWKS after this' })
  publish_until: string | null;

  static from(k: SigningKeyEntity): KeyDto {
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    return {
      kid: k.kid,
      alg: k.alg,
      status: k.status,
      activate_at: iso(k.activateAt),
      retired_at: iso(k.retiredAt),
      publish_until: iso(k.publishUntil),
    };
  }
}

@ApiTags('admin: tokens and keys')
@Authenticated({ scopes: ['admin'] })
@Controller('admin/keys')
export class KeysAdminController {
  constructor(private readonly keys: KeysService) {}

  @Get()
  @ApiOkResponse({ type: [KeyDto] })
  async list() {
    return (await this.keys.list()).map(KeyDto.from);
  }

  @Post('rotate')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Publish a new signing key; it signs after KEY_PUBLISH_LEAD seconds, the old one stays published until its tokens expire',
  })
  @ApiOkResponse({ type: KeyDto })
  async rotate(@Body() dto: RotateKeyDto, @CurrentPrincipal() by: Principal, @Meta() meta: RequestMeta) {
    const key = await this.keys.rotate(dto.alg, { actor: by.sub, clientId: by.clientId, jti: by.jti, meta });
    return KeyDto.from(key);
  }
}
