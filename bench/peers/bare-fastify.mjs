// Peer: a bare Fastify route that runs the same SQL as GET /customers/:id and returns the same JSON
// (the fields the bench token's role may see), with no auth, no filtering and no audit.
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const app = Fastify({ logger: false });
app.get('/customers/:id', async (req, reply) => {
  const { rows } = await pool.query(
    `SELECT id, name, email, age, street, city, postal_code, country, iban, balance, credit_limit, created_at, updated_at
       FROM customers WHERE id = $1 LIMIT 1`,
    [req.params.id],
  );
  if (!rows[0]) return reply.code(404).send({ message: 'not found' });
  const c = rows[0];
  return {
    id: c.id,
    created_at: c.created_at.toISOString(),
    name: c.name,
    email: c.email,
    age: c.age,
    street: c.street,
    city: c.city,
    postal_code: c.postal_code,
    country: c.country,
  };
});
app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }).then(() => process.send?.('ready'));
