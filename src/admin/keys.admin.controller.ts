import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { Authenticated, CurrentPrincipal } from '@scopegate/nest';
import type { Principal } from '@scopegate/nest';
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
  @ApiProperty({ enum: ['next', 'active', 'retired', 'revoked'] }) status: string;
  @ApiProperty({ nullable: true, type: String }) activate_at: string | null;
  @ApiProperty({ nullable: true, type: String }) retired_at: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'A retired key leaves the JWKS after this' })
  publish_until: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'When the key was revoked (POST …/revoke)' })
  revoked_at: string | null;

  static from(k: SigningKeyEntity): KeyDto {
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    return {
      kid: k.kid,
      alg: k.alg,
      status: k.status,
      activate_at: iso(k.activateAt),
      retired_at: iso(k.retiredAt),
      publish_until: iso(k.publishUntil),
      revoked_at: iso(k.revokedAt),
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

  @Post(':kid/revoke')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Emergency revocation of a compromised signing key',
    description:
      'The key leaves the JWKS and every token it signed is refused, on every instance, at once. When it was ' +
      'the active key, the published next key (or a new one) signs from now on. Refresh tokens are not ' +
      'affected; id_tokens it signed no longer verify against the JWKS.',
  })
  @ApiOkResponse({ type: KeyDto, description: 'The revoked key' })
  @ApiNotFoundResponse({ description: 'No key with this kid' })
  @ApiConflictResponse({ description: 'The key is already revoked' })
  async revoke(@Param('kid') kid: string, @CurrentPrincipal() by: Principal, @Meta() meta: RequestMeta) {
    const { key } = await this.keys.revoke(kid, { actor: by.sub, clientId: by.clientId, jti: by.jti, meta });
    return KeyDto.from(key);
  }
}
