// Peer: a bare Fastify route returning the same JSON as examples/orders-api's GET /orders/:id gives a
// token with `orders:read orders:pricing` (all fields, same order; the data of its orders.data.ts),
// with no auth, no filtering and no usage reports. The bench checks the bytes match before the load.
import Fastify from 'fastify';
import { createRequire } from 'node:module';

// The example's own data (its build), as plain objects: the same fields in the same order.
const require = createRequire(import.meta.url);
const ORDERS = JSON.parse(
  JSON.stringify(require('../../examples/orders-api/dist/orders/orders.data.js').ORDERS),
);

const app = Fastify({ logger: false });
app.get('/orders/:id', async (req, reply) => {
  const order = ORDERS.find((o) => o.id === req.params.id);
  if (!order) return reply.code(404).send({ message: 'not found' });
  return order;
});
app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
