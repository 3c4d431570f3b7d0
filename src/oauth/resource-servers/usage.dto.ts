import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsIP,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';

export const MAX_USAGE_EVENTS = 500;

export class UsageEventDto {
  @ApiProperty({
    example: '0b7e5d1c-6f3a-4c2e-9a51-2d8f7e6b4a10',
    description: 'The access token (jti) used',
  })
  @IsUUID()
  jti: string;

  @ApiProperty({ example: 'GET' })
  @Matches(/^[A-Z]{1,16}$/)
  method: string;

  @ApiProperty({ example: '/orders/:id', description: 'The route (pattern) called' })
  @IsString()
  @MaxLength(512)
  path: string;

  @ApiPropertyOptional({
    example: 'orders',
    description: 'The name of the route that served the call (a gateway route), when it has one',
  })
  @IsOptional()
  @Matches(/^[A-Za-z0-9._:-]{1,64}$/)
  route?: string;

  @ApiProperty({ example: 200 })
  @IsInt()
  @Min(100)
  @Max(599)
  status: number;

  @ApiProperty({ enum: ['allowed', 'denied'] })
  @IsIn(['allowed', 'denied'])
  decision: 'allowed' | 'denied';

  @ApiPropertyOptional({ example: ['orders:read'], type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @Matches(/^[\x21\x23-\x5b\x5d-\x7e]{1,64}$/, { each: true })
  scopes_used?: string[];

  @ApiPropertyOptional({ example: 'insufficient_scope' })
  @IsOptional()
  @Matches(/^[a-z_]{1,64}$/)
  reason?: string;

  @ApiPropertyOptional({ example: '2026-12-01T12:00:00.000Z', description: 'When the call was made' })
  @IsOptional()
  @IsISO8601({ strict: true })
  occurred_at?: string;

  @ApiPropertyOptional({ example: '5f0c…', description: "The resource server's request id" })
  @IsOptional()
  @Matches(/^[\x21-\x7e]{1,128}$/)
  request_id?: string;

  @ApiPropertyOptional({
    example: '203.0.113.7',
    description: "The caller's address as the resource server saw it",
  })
  @IsOptional()
  @IsIP()
  ip?: string;

  @ApiPropertyOptional({ example: 'curl/8.5.0' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  user_agent?: string;
}

export class UsageBatchDto {
  @ApiProperty({
    example: '3c6e0b8a-4f1d-4a8e-9b2c-7d5e1f0a9c31',
    description: 'Chosen by the reporter; a retried batch carries the same id and is recorded once',
  })
  @IsUUID()
  batch_id: string;

  @ApiProperty({ type: [UsageEventDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_USAGE_EVENTS)
  @ValidateNested({ each: true })
  @Type(() => UsageEventDto)
  events: UsageEventDto[];
}

export class UsageReceiptDto {
  @ApiProperty({ example: 'recorded', enum: ['recorded', 'duplicate'] }) status: 'recorded' | 'duplicate';
  @ApiProperty({ example: 10, description: 'Events appended to the audit log' }) accepted: number;
  @ApiProperty({
    example: 1,
    description: 'Events refused: their token is unknown or not meant for an API this client serves',
  })
  rejected: number;
}
