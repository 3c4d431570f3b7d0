import { ClaimCategory } from '@scopegate/nest';

export class OrderLineDto {
  sku: string;
  quantity: number;
  /** Prices are visible only to tokens whose scopes grant the `pricing` category. */
  @ClaimCategory('pricing') unit_price: string;

  constructor(line: OrderLineDto) {
    Object.assign(this, line);
  }
}

export class OrderDto {
  id: string;
  customer: string;
  status: 'open' | 'shipped' | 'cancelled';
  lines: OrderLineDto[];
  @ClaimCategory('pricing') total: string;
  @ClaimCategory('pricing') currency: string;
  created_at: string;

  constructor(order: Omit<OrderDto, 'lines'> & { lines: OrderLineDto[] }) {
    Object.assign(this, { ...order, lines: order.lines.map((l) => new OrderLineDto(l)) });
  }
}
