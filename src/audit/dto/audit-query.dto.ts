import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsISO8601, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

/**
 * An RFC 3339 §5.6 full-date or date-time (fraction of at most 9 digits). ISO 8601's other forms
 * (week dates, ordinal dates, basic format, expanded years) are refused: PostgreSQL and Date read
 * them differently or not at all. `IsISO8601({ strict: true })` adds the calendar check (no Feb 30).
 */
const RFC3339 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))?$/;
const RFC3339_MESSAGE = '$property must be an RFC 3339 date or date-time, e.g. 2026-01-01T00:00:00Z';

export class AuditQueryDto {
  @ApiPropertyOptional({ example: 'token.issued' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  type?: string;

  @ApiPropertyOptional({ example: 'demo-manager' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  client_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(256)
  subject?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(64)
  jti?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(128)
  request_id?: string;

  @ApiPropertyOptional({ example: '2026-01-01T00:00:00Z' })
  @IsOptional()
  @Matches(RFC3339, { message: RFC3339_MESSAGE })
  @IsISO8601({ strict: true }, { message: RFC3339_MESSAGE })
  since?: string;

  @ApiPropertyOptional({ example: '2026-12-31T23:59:59Z' })
  @IsOptional()
  @Matches(RFC3339, { message: RFC3339_MESSAGE })
  @IsISO8601({ strict: true }, { message: RFC3339_MESSAGE })
  until?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from `next_cursor` of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  cursor?: string;
}
