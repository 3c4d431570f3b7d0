import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { keysetPage, type Page } from '../../platform/pagination/keyset';
import { CustomerEntity } from './customer.entity';
import type { UpdateCustomerDto } from './dto/customer.dto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class CustomersService {
  constructor(@InjectRepository(CustomerEntity) private readonly customers: Repository<CustomerEntity>) {}

  page(limit: number, cursor?: string): Promise<Page<CustomerEntity>> {
    return keysetPage(this.customers, { key: 'id', cursorPattern: UUID, limit, cursor });
  }

  async get(id: string): Promise<CustomerEntity> {
    // An id that cannot exist is "not found" (not 400, and never a database error).
    const c = UUID.test(id) ? await this.customers.findOneBy({ id }) : null;
    if (!c) throw new NotFoundException(`customer ${id.slice(0, 64)} not found`);
    return c;
  }

  async update(id: string, dto: UpdateCustomerDto): Promise<CustomerEntity> {
    const c = await this.get(id);
    const changes = Object.fromEntries(Object.entries(dto).filter(([, v]) => v !== undefined));
    if (Object.keys(changes).length === 0) throw new BadRequestException('the body changes nothing');
    const { postal_code, credit_limit, ...rest } = changes as UpdateCustomerDto;
    Object.assign(c, rest);
    if (postal_code !== undefined) c.postalCode = postal_code;
    if (credit_limit !== undefined) c.creditLimit = credit_limit;
    return this.customers.save(c);
  }
}
