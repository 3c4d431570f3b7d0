import { ApiProperty, ApiPropertyOptional, PartialType, PickType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  Validate,
} from 'class-validator';
import type { ValidationArguments, ValidatorConstraintInterface } from 'class-validator';
import { ValidatorConstraint } from 'class-validator';
import { resourceIndicatorProblem } from '../../protocol/resource-indicator';
import type { ApiView } from '../api.entity';

const SCOPE_NAME = /^[\x21\x23-\x5b\x5d-\x7e]{1,64}$/;
const CLIENT_ID = /^[\x21-\x7e]{1,128}$/;

@ValidatorConstraint({ name: 'resourceIndicator' })
class IsResourceIndicator implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && resourceIndicatorProblem(value) === undefined;
  }
  defaultMessage(args: ValidationArguments): string {
    const problem =
      typeof args.value === 'string' ? resourceIndicatorProblem(args.value) : 'must be a string';
    return `identifier ${problem ?? 'is invalid'} (RFC 8707 §2)`;
  }
}

export class CreateApiDto {
  @ApiProperty({
    example: 'https://orders.example',
    description:
      'The resource indicator (RFC 8707): absolute URI, no fragment, no query. Cannot be changed later.',
  })
  @Validate(IsResourceIndicator)
  identifier: string;

  @ApiProperty({ example: 'Orders' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  @ApiProperty({
    example: ['orders:read', 'orders:pricing'],
    type: [String],
    description: 'Existing scopes; a token for this API carries only these',
  })
  @IsArray()
  @ArrayMaxSize(200)
  @Matches(SCOPE_NAME, { each: true })
  scopes: string[];

  @ApiPropertyOptional({
    example: ['orders-api'],
    type: [String],
    description: `Clients that serve the API (scope scopegate:resource-server): only they may introspect its tokens and report its usage`,
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @Matches(CLIENT_ID, { each: true })
  resource_server_clients?: string[];
}

export class UpdateApiDto extends PartialType(
  PickType(CreateApiDto, ['name', 'scopes', 'resource_server_clients'] as const),
) {}

export class ApiResponseDto {
  @ApiProperty({ example: '6b0f8a4e-2c1d-4a57-9d0e-3f5b1c2a7e90' }) id: string;
  @ApiProperty({ example: 'https://orders.example' }) identifier: string;
  @ApiProperty({ example: 'Orders' }) name: string;
  @ApiProperty({ example: ['orders:read', 'orders:pricing'], type: [String] }) scopes: string[];
  @ApiProperty({ example: ['orders-api'], type: [String] }) resource_server_clients: string[];
  @ApiProperty() created_at: Date;
  @ApiProperty() updated_at: Date;

  static from(a: ApiView): ApiResponseDto {
    return {
      id: a.id,
      identifier: a.identifier,
      name: a.name,
      scopes: a.scopes,
      resource_server_clients: a.resourceServerClients,
      created_at: a.createdAt,
      updated_at: a.updatedAt,
    };
  }
}
