import type { FastifyReply, FastifyRequest } from 'fastify';

/** PostgreSQL text cannot hold U+0000; anything carrying it is refused before it reaches a query. */
export function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 16 || value === null || typeof value !== 'object') return false;
  return Object.entries(value as Record<string, unknown>).some(
    ([k, v]) => k.includes('\u0000') || containsNul(v, depth + 1),
  );
}

/**
 * Fastify preValidation hook: a query or body with a NUL character gets `400 invalid_request`
 * (never a database error turned 500).
 */
export async function refuseNul(req: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (containsNul(req.query) || containsNul(req.body) || containsNul(req.params)) {
    await reply
      .code(400)
      .header('cache-control', 'no-store')
      .send({ error: 'invalid_request', error_description: 'Parameters must not contain NUL characters' });
  }
}
