import { ApiProperty } from '@nestjs/swagger';
import { IsISO8601, Matches } from 'class-validator';
import { CheckpointRefDto } from './audit-verify.dto';

const RFC3339_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const MESSAGE = 'before must be an RFC 3339 date-time, e.g. 2026-01-01T00:00:00Z';

export class AuditArchiveDto {
  @ApiProperty({
    description: 'Events that occurred before this are deleted',
    example: '2026-01-01T00:00:00Z',
  })
  @Matches(RFC3339_DATE_TIME, { message: MESSAGE })
  @IsISO8601({ strict: true }, { message: MESSAGE })
  before: string;
}

export class AuditArchiveResultDto {
  @ApiProperty({ description: 'Events deleted' }) archived: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Events up to this id are gone' }) through_id:
    number | null;
  @ApiProperty({
    type: CheckpointRefDto,
    nullable: true,
    description: 'The signed `archive` checkpoint at the cut',
  })
  checkpoint: CheckpointRefDto | null;
}
