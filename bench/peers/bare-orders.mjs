// Peer: a bare Fastify route returning the same JSON as examples/orders-api's GET /orders/:id gives a
// token with `orders:read orders:pricing` (all fields, same order; data as in its orders.data.ts),
// with no auth, no filtering and no usage reports. The bench checks the bytes match before the load.
import Fastify from 'fastify';

const ORDERS = [
  {
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
  },
  {
    id: 'ord-1002',
    customer: 'Grace Hopper',
    status: 'open',
    lines: [{ sku: 'NB-A5', quantity: 10, unit_price: '4.20' }],
    total: '42.00',
    currency: 'EUR',
    created_at: '2026-11-20T16:40:00Z',
  },
];

const app = Fastify({ logger: false });
app.get('/orders/:id', async (req, reply) => {
  const order = ORDERS.find((o) => o.id === req.params.id);
  if (!order) return reply.code(404).send({ message: 'not found' });
  return order;
});
app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
