import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '@scopegate/nest';
import type { Principal } from '@scopegate/nest';
import { ClaimsService } from '@scopegate/nest';
import { PageQueryDto } from '../../platform/pagination/page-query.dto';
import { CustomerDto, CustomerPageDto, UpdateCustomerDto } from './dto/customer.dto';
import { CustomersService } from './customers.service';

/**
 * The demo resource API — the pattern to copy: declare the scope on the route, the claim categories
 * on the DTO, return DTO instances. Guards and the claims interceptor do the rest.
 */
@ApiTags('customers')
@Controller('customers')
export class CustomersController {
  constructor(
    private readonly customers: CustomersService,
    private readonly claims: ClaimsService,
  ) {}

  @Get()
  @Authenticated({ scopes: ['customers:read'] })
  @ApiOperation({ summary: "List customers (cursor pagination); fields filtered by the token's scopes" })
  @ApiOkResponse({ type: CustomerPageDto })
  async list(@Query() q: PageQueryDto): Promise<CustomerPageDto> {
    const page = await this.customers.page(q.limit ?? 20, q.cursor);
    return { data: page.data.map(CustomerDto.from), next_cursor: page.next_cursor };
  }

  @Get(':id')
  @Authenticated({ scopes: ['customers:read'] })
  @ApiOperation({ summary: "One customer; fields filtered by the token's scopes" })
  @ApiOkResponse({ type: CustomerDto })
  @ApiNotFoundResponse()
  async get(@Param('id') id: string): Promise<CustomerDto> {
    return CustomerDto.from(await this.customers.get(id));
  }

  @Patch(':id')
  @Authenticated({ scopes: ['customers:write'] })
  @ApiOperation({ summary: 'Update a customer; each field written needs its claim category as well' })
  @ApiOkResponse({ type: CustomerDto })
  @ApiNotFoundResponse()
  async update(
    @Param('id') id: string,
    @Body() dto: UpdateCustomerDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CustomerDto> {
    await this.claims.assertWritable(dto, principal);
    return CustomerDto.from(await this.customers.update(id, dto));
  }
}
