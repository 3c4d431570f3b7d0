import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsEmail,
  IsInt,
  IsISO31661Alpha2,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
} from 'class-validator';
import { ClaimCategory } from '@scopegate/nest';
import type { CustomerEntity } from '../customer.entity';

/**
 * A finite number with at most two decimals, whatever its notation. (class-validator's
 * `IsNumber({ maxDecimalPlaces })` counts the digits after a '.' in the number's string form and throws
 * on a tiny amount such as 1e-7, whose form has none.)
 */
function IsAmount(): PropertyDecorator {
  return ValidateBy({
    name: 'isAmount',
    validator: {
      validate: (v: unknown) => typeof v === 'number' && Number.isFinite(v) && Number(v.toFixed(2)) === v,
      defaultMessage: (args) => `${args?.property ?? 'value'} must be a number with at most 2 decimal places`,
    },
  });
}

/**
 * The customer as the API shows it. Each field's claim category is declared here, once; the claims
 * interceptor removes the fields a token's scopes do not grant. `id` and `created_at` have no category:
 * `customers:read` (the route's scope) is enough for them.
 */
export class CustomerDto {
  @ApiProperty({ format: 'uuid', example: '3f2c1a9e-5b7d-4e2f-9a1c-0d8e6f4b2a17' }) id: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;

  @ClaimCategory('profile') @ApiProperty({ example: 'Ada Lovelace' }) name: string;
  @ClaimCategory('profile') @ApiProperty({ example: 'ada.lovelace@example.com' }) email: string;
  @ClaimCategory('profile') @ApiProperty({ example: 36 }) age: number;

  @ClaimCategory('address') @ApiProperty({ example: 'Lindenstraße 12' }) street: string;
  @ClaimCategory('address') @ApiProperty({ example: 'Berlin' }) city: string;
  @ClaimCategory('address') @ApiProperty({ example: '10969' }) postal_code: string;
  @ClaimCategory('address') @ApiProperty({ example: 'DE' }) country: string;

  @ClaimCategory('banking') @ApiProperty({ example: 'DE89370400440532013000' }) iban: string;
  @ClaimCategory('banking') @ApiProperty({ example: 1520.75 }) balance: number;
  @ClaimCategory('banking') @ApiProperty({ example: 5000 }) credit_limit: number;

  static from(c: CustomerEntity): CustomerDto {
    return Object.assign(new CustomerDto(), {
      id: c.id,
      created_at: c.createdAt.toISOString(),
      name: c.name,
      email: c.email,
      age: c.age,
      street: c.street,
      city: c.city,
      postal_code: c.postalCode,
      country: c.country,
      iban: c.iban,
      balance: c.balance,
      credit_limit: c.creditLimit,
    });
  }
}

export class CustomerPageDto {
  @ApiProperty({ type: [CustomerDto] }) data: CustomerDto[];
  @ApiProperty({ nullable: true, type: String, example: 'MDAwMDAwMDAtLi4u' }) next_cursor: string | null;
}

/** PATCH body: writing a field needs its claim category too (ClaimsService.assertWritable). */
export class UpdateCustomerDto {
  @ClaimCategory('profile')
  @ApiPropertyOptional({ example: 'Ada King' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;
  @ClaimCategory('profile')
  @ApiPropertyOptional({ example: 'ada@example.org' })
  @IsOptional()
  @IsEmail()
  @MaxLength(320)
  email?: string;
  @ClaimCategory('profile')
  @ApiPropertyOptional({ example: 37 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(150)
  age?: number;

  @ClaimCategory('address')
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  street?: string;
  @ClaimCategory('address')
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  city?: string;
  @ClaimCategory('address')
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(/^[A-Za-z0-9 -]{2,20}$/)
  postal_code?: string;
  @ClaimCategory('address')
  @ApiPropertyOptional({ example: 'FR' })
  @IsOptional()
  @IsISO31661Alpha2()
  country?: string;

  @ClaimCategory('banking')
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(/^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$/)
  iban?: string;
  @ClaimCategory('banking')
  @ApiPropertyOptional()
  @IsOptional()
  @IsAmount()
  @Min(-1e11)
  @Max(1e11)
  balance?: number;
  @ClaimCategory('banking')
  @ApiPropertyOptional()
  @IsOptional()
  @IsAmount()
  @Min(0)
  @Max(1e11)
  credit_limit?: number;
}
