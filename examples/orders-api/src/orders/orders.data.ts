import { OrderDto } from './order.dto';

/** The example's own tiny data set (an API of yours would read its own database). */
export const ORDERS: readonly OrderDto[] = [
  new OrderDto({
    id: 'ord-1001',
    customer: 'Ada Lovelace',
    status: 'shipped',
    lines: [
      { sku: 'PEN-42', quantity: 3, unit_price: '2.50' },
      { sku: 'INK-7', quantity: 1, unit_price: '11.90' },
    ],
    total: '19.40',
    currency: 'EUR',
    created_at: '2026-11-02T09:15:00Z',
  }),
  new OrderDto({
    id: 'ord-1002',
    customer: 'Grace Hopper',
    status: 'open',
    lines: [{ sku: 'NB-A5', quantity: 10, unit_price: '4.20' }],
    total: '42.00',
    currency: 'EUR',
    created_at: '2026-11-20T16:40:00Z',
  }),
];
