import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class RevocationRequestDto {
  @ApiProperty({ description: 'The access or refresh token to revoke' }) token: string;
  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'] }) token_type_hint?: string;
}

export class IntrospectionRequestDto {
  @ApiProperty({ description: 'The token to introspect' }) token: string;
  @ApiPropertyOptional({ enum: ['access_token', 'refresh_token'] }) token_type_hint?: string;
}

export class IntrospectionResponseDto {
  @ApiProperty({ example: true }) active: boolean;
  @ApiPropertyOptional({ example: 'customers:profile customers:read' }) scope?: string;
  @ApiPropertyOptional({ example: 'demo-salesperson' }) client_id?: string;
  @ApiPropertyOptional({ example: 'demo-salesperson' }) sub?: string;
  @ApiPropertyOptional({ example: 'http://localhost:3000' }) aud?: string;
  @ApiPropertyOptional({ example: 'http://localhost:3000' }) iss?: string;
  @ApiPropertyOptional({ example: 1795466026 }) exp?: number;
  @ApiPropertyOptional({ example: 1795465726 }) iat?: number;
  @ApiPropertyOptional({ example: 'f2bc52cc-2998-4049-8bbb-1044b8002337' }) jti?: string;
  @ApiPropertyOptional({ example: 'Bearer' }) token_type?: string;
}
