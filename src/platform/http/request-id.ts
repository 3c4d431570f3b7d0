import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';
const WELL_FORMED = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * The caller's `X-Request-Id` is kept when well-formed (≤ 128 chars of [A-Za-z0-9._-]),
 * otherwise a new one is generated. Logs, audit events and a token's `txn` share it.
 */
export function requestIdFor(req: IncomingMessage): string {
  const header = req.headers[REQUEST_ID_HEADER];
  const candidate = Array.isArray(header) ? undefined : header;
  return candidate && WELL_FORMED.test(candidate) ? candidate : randomUUID();
}
