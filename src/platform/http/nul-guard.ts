import { BadRequestException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * Text PostgreSQL cannot store: U+0000 (refused in text columns) and a lone UTF-16 surrogate (no valid
 * UTF-8 encoding; a JSON body may carry one as a `\ud800` escape). Keys count as well as values; the
 * depth is bounded by the JSON body parser (json-body.parser.ts).
 */
export function containsUnstorableText(value: unknown): boolean {
  if (typeof value === 'string') return isUnstorable(value);
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value as Record<string, unknown>).some(
    ([k, v]) => isUnstorable(k) || containsUnstorableText(v),
  );
}

/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function isUnstorable(s: string): boolean {
  return s.includes('\u0000') || LONE_SURROGATE.test(s);
}

/**
 * Fastify preValidation hook: a query, body or path parameter with such text is a 400 before it
 * reaches a query (never a database error turned 500). The error filter renders it in the endpoint's
 * shape: `invalid_request` on the OAuth endpoints, Nest's 400 elsewhere.
 */
export async function refuseUnstorableText(req: FastifyRequest): Promise<void> {
  if (
    containsUnstorableText(req.query) ||
    containsUnstorableText(req.body) ||
    containsUnstorableText(req.params)
  ) {
    throw new BadRequestException('Parameters must not contain NUL characters or unpaired UTF-16 surrogates');
  }
}
