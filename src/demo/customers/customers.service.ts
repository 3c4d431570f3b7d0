import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { MoreThan, Repository } from 'typeorm';
import { decodeCursor, encodeCursor } from '../../platform/pagination/cursor';
import { CustomerEntity } from './customer.entity';
import type { UpdateCustomerDto } from './dto/customer.dto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

@Injectable()
export class CustomersService {
  constructor(@InjectRepository(CustomerEntity) private readonly customers: Repository<CustomerEntity>) {}

  async page(
    limit: number,
    cursor?: string,
  ): Promise<{ data: CustomerEntity[]; next_cursor: string | null }> {
    const after = decodeCursor(cursor, UUID);
    const rows = await this.customers.find({
      where: after ? { id: MoreThan(after) } : {},
      order: { id: 'ASC' },
      take: limit + 1,
    });
    const data = rows.slice(0, limit);
    return { data, next_cursor: rows.length > limit ? encodeCursor(data[data.length - 1].id) : null };
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
