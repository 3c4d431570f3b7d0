import { ApiProperty, ApiPropertyOptional, PartialType, OmitType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { SUPPORTED_GRANT_TYPES } from '../../protocol/grant-types';
import type { ClientEntity } from '../client.entity';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../../config/env';
import {
  TOKEN_ENDPOINT_AUTH_METHODS,
  type TokenEndpointAuthMethod,
} from '../../protocol/client-auth-methods';

/** RFC 7591 §2 client metadata, plus `role`, `require_api_key` and `access_token_ttl`. */
export class CreateClientDto {
  @ApiProperty({ example: 'CRM sync job' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  client_name: string;

  @ApiPropertyOptional({
    example: ['client_credentials'],
    enum: SUPPORTED_GRANT_TYPES,
    isArray: true,
    default: ['client_credentials'],
  })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @IsIn(SUPPORTED_GRANT_TYPES, { each: true })
  grant_types?: string[];

  @ApiPropertyOptional({
    example: [],
    type: [String],
    description: 'Exact-match redirect URIs (authorization code clients)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(2000, { each: true })
  redirect_uris?: string[];

  @ApiPropertyOptional({
    example: 'customers:read customers:profile',
    description: 'Space-separated scopes the client may request; default: all of its role',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  scope?: string;

  @ApiPropertyOptional({ enum: TOKEN_ENDPOINT_AUTH_METHODS, default: 'client_secret_basic' })
  @IsOptional()
  @IsIn(TOKEN_ENDPOINT_AUTH_METHODS)
  token_endpoint_auth_method?: TokenEndpointAuthMethod;

  @ApiPropertyOptional({
    example: 'salesperson',
    description: 'Role whose scopes bound what the client may get',
  })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9_.:-]{0,63}$/)
  role?: string;

  @ApiPropertyOptional({
    default: false,
    description: 'The client must also send X-API-Key at the token endpoint',
  })
  @IsOptional()
  @IsBoolean()
  require_api_key?: boolean;

  @ApiPropertyOptional({
    default: false,
    description:
      'May log in at POST /auth (simple login, when SIMPLE_LOGIN is on) with HTTP Basic, plus X-API-Key ' +
      'when require_api_key',
  })
  @IsOptional()
  @IsBoolean()
  simple_login?: boolean;

  @ApiPropertyOptional({
    default: false,
    description: 'May log in at POST /auth with X-API-Key alone (needs simple_login and require_api_key)',
  })
  @IsOptional()
  @IsBoolean()
  api_key_login?: boolean;

  @ApiPropertyOptional({
    enum: SIGNING_ALGORITHMS,
    description: "Signing algorithm override for this client's tokens",
  })
  @IsOptional()
  @IsIn(SIGNING_ALGORITHMS)
  signing_alg?: SigningAlgorithm;

  @ApiPropertyOptional({
    minimum: 60,
    maximum: 3600,
    example: 300,
    description: 'Access-token lifetime override (s)',
  })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(3600)
  access_token_ttl?: number;
}

export class UpdateClientDto extends PartialType(
  OmitType(CreateClientDto, ['token_endpoint_auth_method'] as const),
) {}

export class ClientResponseDto {
  @ApiProperty({ example: 'Kx2v8cQeZ0m1bR7tYh3n4A' }) client_id: string;
  @ApiProperty({ example: 'CRM sync job' }) client_name: string;
  @ApiProperty({ example: ['client_credentials'] }) grant_types: string[];
  @ApiProperty({ example: [] }) redirect_uris: string[];
  @ApiProperty({
    example: 'customers:read customers:profile',
    description: 'Explicitly allowed scopes ("" = all of the role)',
  })
  scope: string;
  @ApiProperty({ enum: TOKEN_ENDPOINT_AUTH_METHODS }) token_endpoint_auth_method: string;
  @ApiProperty({ example: 'salesperson', nullable: true, type: String }) role: string | null;
  @ApiProperty() require_api_key: boolean;
  @ApiProperty() simple_login: boolean;
  @ApiProperty() api_key_login: boolean;
  @ApiProperty({ nullable: true, type: Number, example: null }) access_token_ttl: number | null;
  @ApiProperty({ enum: ['active', 'disabled'] }) status: string;
  @ApiProperty({ enum: SIGNING_ALGORITHMS, nullable: true, type: String }) signing_alg: string | null;
  @ApiProperty({ example: 1795464937, description: 'Seconds since the epoch (RFC 7591)' })
  client_id_issued_at: number;

  static from(c: ClientEntity): ClientResponseDto {
    return {
      client_id: c.clientId,
      client_name: c.clientName,
      grant_types: c.grantTypes,
      redirect_uris: c.redirectUris,
      scope: c.scopes.join(' '),
      token_endpoint_auth_method: c.tokenEndpointAuthMethod,
      role: c.role,
      require_api_key: c.requireApiKey,
      simple_login: c.simpleLogin,
      api_key_login: c.apiKeyLogin,
      access_token_ttl: c.accessTokenTtl,
      status: c.status,
      signing_alg: c.signingAlg,
      client_id_issued_at: Math.floor(c.clientIdIssuedAt.getTime() / 1000),
    };
  }
}

export class ClientCredentialsResponseDto extends ClientResponseDto {
  @ApiPropertyOptional({
    example: 'q3X9vJ2mTz8LwR5nB1cY7uK4pH6sD0fG2aE8iO3lN5w',
    description: 'Shown this once',
  })
  client_secret?: string;
  @ApiPropertyOptional({ example: 0, description: '0: the secret does not expire (RFC 7591)' })
  client_secret_expires_at?: number;
  @ApiPropertyOptional({
    example: 'Zf1aB8xK3mQ9rT5vW2yE7uI4oP6sD0gH1jL3nM5bV7c',
    description: 'Shown this once',
  })
  api_key?: string;
}

export class ClientListDto {
  @ApiProperty({ type: [ClientResponseDto] }) data: ClientResponseDto[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}
