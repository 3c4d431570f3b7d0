import { ApiProperty, ApiPropertyOptional, PartialType, PickType } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { ClaimCategoryEntity } from '../claim-category.entity';
import type { RoleEntity } from '../role.entity';
import type { ScopeEntity } from '../scope.entity';

const SCOPE_NAME = /^[\x21\x23-\x5b\x5d-\x7e]{1,64}$/;
const NAME = /^[a-z][a-z0-9_.:-]{0,63}$/;

export class CreateScopeDto {
  @ApiProperty({ example: 'orders:read', description: 'RFC 6749 §3.3 scope token' })
  @Matches(SCOPE_NAME, { message: 'name must be an RFC 6749 scope token of at most 64 characters' })
  name: string;

  @ApiPropertyOptional({ example: 'Read orders' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({
    example: 'banking',
    nullable: true,
    description: 'Claim category this scope makes visible',
  })
  @IsOptional()
  @Matches(NAME)
  claim_category?: string | null;
}

export class UpdateScopeDto extends PartialType(
  PickType(CreateScopeDto, ['description', 'claim_category'] as const),
) {}

export class CreateRoleDto {
  @ApiProperty({ example: 'auditor' })
  @Matches(NAME, { message: 'name must be lower-case letters, digits and _.:- (max 64)' })
  name: string;

  @ApiPropertyOptional({ example: 'Reads customer profiles' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiProperty({ example: ['customers:read', 'customers:profile'], type: [String] })
  @IsArray()
  @ArrayMaxSize(200)
  @Matches(SCOPE_NAME, { each: true })
  scopes: string[];
}

export class UpdateRoleDto extends PartialType(PickType(CreateRoleDto, ['description', 'scopes'] as const)) {}

export class ScopeResponseDto {
  @ApiProperty({ example: 'customers:banking' }) name: string;
  @ApiProperty({ example: 'Banking fields of customers' }) description: string;
  @ApiProperty({ example: 'banking', nullable: true, type: String }) claim_category: string | null;

  static from(s: ScopeEntity): ScopeResponseDto {
    return { name: s.name, description: s.description, claim_category: s.claimCategory };
  }
}

export class RoleResponseDto {
  @ApiProperty({ example: 'manager' }) name: string;
  @ApiProperty({ example: 'Customer profiles and addresses' }) description: string;
  @ApiProperty({ example: ['customers:read', 'customers:profile', 'customers:address'], type: [String] })
  scopes: string[];

  static from(r: RoleEntity): RoleResponseDto {
    return { name: r.name, description: r.description, scopes: r.scopes };
  }
}

export class AddRoleScopeDto {
  @ApiProperty({ example: 'orders:read', description: 'An existing scope to add to the role' })
  @Matches(SCOPE_NAME, { message: 'scope must be an RFC 6749 scope token of at most 64 characters' })
  scope: string;
}

const FIELD_PATH = /^[A-Za-z_$][\w$]*(\[\])?(\.[A-Za-z_$][\w$]*(\[\])?)*$/;

export class CreateClaimCategoryDto {
  @ApiProperty({ example: 'pricing' })
  @Matches(NAME, { message: 'name must be lower-case letters, digits and _.:- (max 64)' })
  name: string;

  @ApiPropertyOptional({ example: 'Prices and discounts of orders' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({
    example: ['total_price', 'items[].unit_price'],
    type: [String],
    description: 'The response fields the category covers (JSON paths; informational)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(200)
  @Matches(FIELD_PATH, {
    each: true,
    message: 'each field must be a JSON field path such as items[].unit_price',
  })
  @MaxLength(200, { each: true })
  fields?: string[];
}

export class ClaimCategoryResponseDto {
  @ApiProperty({ example: 'pricing' }) name: string;
  @ApiProperty({ example: 'Prices and discounts of orders' }) description: string;
  @ApiProperty({ example: ['total_price', 'items[].unit_price'], type: [String] }) fields: string[];
  @ApiProperty({
    example: ['orders:pricing'],
    type: [String],
    description: 'Scopes that grant this category',
  })
  granted_by: string[];

  static from(c: ClaimCategoryEntity, grantedBy: string[]): ClaimCategoryResponseDto {
    return { name: c.name, description: c.description, fields: c.fields, granted_by: grantedBy };
  }
}
