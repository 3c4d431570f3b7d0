import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Fastify onSend hook: a response to a request that carried credentials (a bearer token or client
 * authentication, RFC 6750 §2.1, RFC 6749 §2.3.1) may hold secrets or personal data — issued client
 * secrets and API keys, users, customers — so it is never stored (RFC 6749 §5.1 asks the same of token
 * responses), unless the handler chose its own Cache-Control.
 */
export async function noStoreWithCredentials(
  req: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): Promise<unknown> {
  if (req.headers.authorization !== undefined && !reply.hasHeader('cache-control')) {
    reply.header('cache-control', 'no-store');
  }
  return payload;
}
