// Peer of the gateway line: the same upstream behind a bare @fastify/http-proxy (the reply-from
// proxy the gateway is built on, with the gateway's upstream connection pool) with no auth, no
// filtering and no usage reports.
import Fastify from 'fastify';
import proxy from '@fastify/http-proxy';

const app = Fastify({ logger: false });
await app.register(proxy, {
  upstream: process.env.UPSTREAM,
  undici: { connections: 128, pipelining: 1, connectTimeout: 5000 },
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
