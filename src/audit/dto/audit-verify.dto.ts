import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';

export class AuditVerifyQueryDto {
  @ApiPropertyOptional({
    description:
      'Re-verify from the first event (or from the retention checkpoint), not from the latest checkpoint',
    default: false,
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean({ message: 'full must be true or false' })
  full?: boolean;
}

export class ChainFindingDto {
  @ApiProperty({ description: 'The event: the edited or inserted row, or the first missing id', example: 42 })
  id: number;
  @ApiProperty({ enum: ['edited', 'inserted', 'removed'] })
  reason: string;
  @ApiProperty({ example: 'its hash does not match its content' })
  detail: string;
}

export class CheckpointRefDto {
  @ApiProperty() id: number;
  @ApiProperty({ description: 'The last event the checkpoint vouches for' }) event_id: number;
  @ApiProperty({ enum: ['legacy', 'periodic', 'verify', 'archive'] }) kind: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class ForgedCheckpointDto {
  @ApiProperty() id: number;
  @ApiProperty() event_id: number;
}

export class AuditVerificationDto {
  @ApiProperty({
    description: 'No edited, inserted or removed event since the starting checkpoint, no forged checkpoint',
  })
  ok: boolean;
  @ApiProperty({ description: 'Events checked in this run (those after `from_checkpoint`)', example: 1200 })
  checked: number;
  @ApiProperty({ type: ChainFindingDto, nullable: true })
  first_bad: ChainFindingDto | null;
  @ApiPropertyOptional({ description: 'Same as `first_bad.id`; absent when ok', example: 42 })
  first_broken_id?: number;
  @ApiProperty({
    type: CheckpointRefDto,
    nullable: true,
    description: 'Where the walk started; null: from the first event',
  })
  from_checkpoint: CheckpointRefDto | null;
  @ApiProperty({ type: Number, nullable: true, description: 'The last intact event reached' })
  last_id: number | null;
  @ApiProperty({
    type: Number,
    nullable: true,
    description:
      'Events up to this id were written before AUDIT_KEY: unkeyed hashes, anchored by the signed `legacy` checkpoint',
  })
  unkeyed_through_id: number | null;
  @ApiProperty({
    type: [ForgedCheckpointDto],
    description: 'Checkpoints whose signature does not verify (ignored)',
  })
  forged_checkpoints: ForgedCheckpointDto[];
  @ApiProperty({ type: CheckpointRefDto, nullable: true, description: 'The checkpoint this run recorded' })
  checkpoint: CheckpointRefDto | null;
}
