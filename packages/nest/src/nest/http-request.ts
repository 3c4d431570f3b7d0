import { randomUUID } from 'node:crypto';
import type { Principal } from '../core/access-token';

/**
 * The parts of an HTTP request the guard and interceptors read. Fastify's and Express's requests
 * both fit; the package needs neither as a dependency.
 */
export interface ScopegateRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined> & { authorization?: string };
  query?: unknown;
  ip?: string;
  /** Fastify's request id. */
  id?: unknown;
  /** Fastify's matched route. */
  routeOptions?: { url?: string };
  /** Express's matched route. */
  route?: { path?: string };
  baseUrl?: string;
  /** The verified principal, set by the guard. */
  user?: Principal;
}

export function routeOf(req: ScopegateRequest): string {
  if (req.routeOptions?.url) return req.routeOptions.url;
  if (typeof req.route?.path === 'string') return `${req.baseUrl ?? ''}${req.route.path}`;
  return req.url.split('?')[0];
}

export function requestInfoOf(req: ScopegateRequest): { requestId: string; ip: string; userAgent?: string } {
  const header = req.headers['x-request-id'];
  const requestId =
    req.id !== undefined && req.id !== null
      ? String(req.id)
      : typeof header === 'string' && /^[\x21-\x7e]{1,128}$/.test(header)
        ? header
        : randomUUID();
  const ua = req.headers['user-agent'];
  return { requestId, ip: req.ip ?? '', userAgent: typeof ua === 'string' ? ua.slice(0, 512) : undefined };
}
