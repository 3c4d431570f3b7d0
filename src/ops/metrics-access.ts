import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { bearerTokenOf } from '@scopegate/nest/core';
import { InvalidTokenError, MissingTokenError, type OAuthError } from '../protocol/errors';
import { safeEqual } from '../platform/crypto';
import type { MetricsService } from '../platform/metrics/metrics.service';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * METRICS_TOKEN: a scrape must carry `Authorization: Bearer <METRICS_TOKEN>` (RFC 6750 §2.1). The
 * comparison is in constant time over SHA-256 digests, so neither the content nor the length of the
 * token leaks through timing. Nothing is required when no token is configured.
 */
export function assertMetricsAccess(authorization: string | undefined, expected: string | undefined): void {
  if (expected === undefined) return;
  const token = bearerTokenOf({ headers: { authorization } });
  if (token === undefined) throw new MissingTokenError();
  if (!safeEqual(digest(token), digest(expected))) throw new InvalidTokenError('Invalid metrics token');
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * METRICS_PORT: a plain HTTP server answering only `GET /metrics` (405 for another method, 404 for
 * another path), still behind METRICS_TOKEN when one is set. Resolves once it listens.
 */
export async function startMetricsServer(
  metrics: MetricsService,
  options: { host: string; port: number; token?: string },
): Promise<Server> {
  const send = (res: import('node:http').ServerResponse, status: number, body: string, headers = {}) => {
    res.writeHead(status, { 'cache-control': 'no-store', ...headers });
    res.end(body);
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics')
      return send(res, 404, '{"error":"not_found"}', { 'content-type': 'application/json' });
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, '', { allow: 'GET, HEAD' });
    try {
      assertMetricsAccess(req.headers.authorization, options.token);
    } catch (err) {
      const e = err as OAuthError;
      return send(res, e.status, JSON.stringify(e.toJSON()), {
        'content-type': 'application/json',
        ...e.headers,
      });
    }
    metrics.registry.metrics().then(
      (text) => send(res, 200, req.method === 'HEAD' ? '' : text, { 'content-type': METRICS_CONTENT_TYPE }),
      () => send(res, 500, '{"error":"server_error"}', { 'content-type': 'application/json' }),
    );
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
