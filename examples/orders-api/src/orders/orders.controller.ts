import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { Authenticated } from '@scopegate/nest';
import { OrderDto } from './order.dto';
import { ORDERS } from './orders.data';

/**
 * Nothing here checks a token or hides a field: the global guard of ScopegateModule refuses calls
 * without `orders:read`, and the claims interceptor drops the `pricing` fields unless the token's
 * scopes grant that category (`orders:pricing` in Scopegate's catalog).
 */
@Controller('orders')
export class OrdersController {
  @Get()
  @Authenticated({ scopes: ['orders:read'] })
  list(): OrderDto[] {
    return [...ORDERS];
  }

  @Get(':id')
  @Authenticated({ scopes: ['orders:read'] })
  get(@Param('id') id: string): OrderDto {
    const order = ORDERS.find((o) => o.id === id);
    if (!order) throw new NotFoundException(`No order ${id}`);
    return order;
  }
}
