import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Documentation of the token request; the endpoint reads parameters itself (RFC 6749 rules). */
export class TokenRequestDto {
  @ApiProperty({ enum: ['client_credentials'], example: 'client_credentials' })
  grant_type: string;

  @ApiPropertyOptional({
    example: 'customers:read customers:profile',
    description: 'Space-separated; default: all the client may have',
  })
  scope?: string;

  @ApiPropertyOptional({ description: 'client_secret_post only (or public clients)' })
  client_id?: string;

  @ApiPropertyOptional({ description: 'client_secret_post only' })
  client_secret?: string;
}

export class TokenResponseDto {
  @ApiProperty({ example: 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6Ii4uLiJ9.eyJ…' })
  access_token: string;
  @ApiProperty({ example: 'Bearer' }) token_type: string;
  @ApiProperty({ example: 300 }) expires_in: number;
  @ApiProperty({ example: 'customers:profile customers:read' }) scope: string;
}

export class TokenErrorDto {
  @ApiProperty({ example: 'invalid_scope' }) error: string;
  @ApiProperty({ example: 'Scope not allowed for this client: customers:banking' }) error_description: string;
}
