import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsEmail,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import type { UserEntity } from '../user.entity';

const ROLE = /^[a-z][a-z0-9_.:-]{0,63}$/;

export class CreateUserDto {
  @ApiProperty({ example: 'alice', description: 'Unique regardless of case; 3-64 of [A-Za-z0-9._@-]' })
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$/, {
    message: 'username must be 3-64 characters of letters, digits, ".", "_", "@" or "-"',
  })
  username: string;

  @ApiProperty({ example: 'plum tractor elbow 42', description: 'At least 10 characters; never returned' })
  @IsString()
  @MaxLength(256)
  password: string;

  @ApiPropertyOptional({ example: 'Alice Example' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ example: 'alice@example.com' })
  @IsOptional()
  @IsEmail()
  @MaxLength(320)
  email?: string;

  @ApiPropertyOptional({
    example: ['salesperson'],
    description: 'Role names; they bound what the user may grant',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @Matches(ROLE, { each: true })
  roles?: string[];

  @ApiPropertyOptional({
    default: false,
    description: 'May log in at POST /auth with username and password (when SIMPLE_LOGIN is on)',
  })
  @IsOptional()
  @IsBoolean()
  simple_login?: boolean;
}

export class UpdateUserDto extends PartialType(OmitType(CreateUserDto, ['username', 'password'] as const)) {}

export class ResetPasswordDto {
  @ApiProperty({ example: 'another long passphrase 7' })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  password: string;
}

export class UserResponseDto {
  @ApiProperty({ example: '5f0c…' }) id: string;
  @ApiProperty({ example: 'alice' }) username: string;
  @ApiProperty({ example: 'Alice Example' }) name: string;
  @ApiProperty({ example: 'alice@example.com', nullable: true, type: String }) email: string | null;
  @ApiProperty({ example: ['salesperson'] }) roles: string[];
  @ApiProperty({ enum: ['active', 'disabled'] }) status: string;
  @ApiProperty({ description: 'May log in at POST /auth' }) simple_login: boolean;
  @ApiProperty() created_at: string;
  @ApiProperty() updated_at: string;

  static from(u: UserEntity): UserResponseDto {
    return {
      id: u.id,
      username: u.username,
      name: u.name,
      email: u.email,
      roles: u.roles,
      status: u.status,
      simple_login: u.simpleLogin,
      created_at: u.createdAt.toISOString(),
      updated_at: u.updatedAt.toISOString(),
    };
  }
}

export class UserListDto {
  @ApiProperty({ type: [UserResponseDto] }) data: UserResponseDto[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}
