import {
  ArgumentsHost,
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  type ExceptionFilter,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError, TemporarilyUnavailableError } from '../../protocol/errors';
import { RateLimitedLog, RETRY_AFTER_SECONDS, unavailableKind } from '../unavailable';

/**
 * The one place errors become responses. OAuth errors render as RFC 6749 §5.2 / RFC 6750 §3 JSON with
 * `Cache-Control: no-store`; Nest HTTP exceptions keep their status and message; anything else is a
 * `500 server_error` whose cause is logged, never sent — except a database that cannot be reached
 * (`platform/unavailable.ts`): that is `503` with `Retry-After` (`temporarily_unavailable` on OAuth
 * endpoints), logged as one line per kind of failure per interval, without a stack trace.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');
  private readonly unavailableLog = new RateLimitedLog(this.logger);

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const req = host.switchToHttp().getRequest<FastifyRequest>();
    const unavailable = unavailableKind(exception);
    if (unavailable) {
      this.unavailableLog.error(unavailable, `database unavailable (${unavailable}): answering 503`);
      if (req.url.startsWith('/oauth/')) exception = new TemporarilyUnavailableError(RETRY_AFTER_SECONDS);
      else {
        void reply
          .status(HttpStatus.SERVICE_UNAVAILABLE)
          .headers({ 'retry-after': String(RETRY_AFTER_SECONDS), 'cache-control': 'no-store' })
          .send({
            statusCode: HttpStatus.SERVICE_UNAVAILABLE,
            error: 'Service Unavailable',
            message: 'The service is temporarily unavailable; retry later',
          });
        return;
      }
    }
    if (exception instanceof OAuthError) {
      if (exception.detail) this.logger.warn(`${exception.error}: ${exception.detail} (request ${req.id})`);
      void reply
        .status(exception.status)
        .headers({ ...exception.headers, 'cache-control': 'no-store', pragma: 'no-cache' })
        .send(exception.toJSON());
      return;
    }
    if (exception instanceof HttpException && isProtocolUrl(req.url) && exception.getStatus() < 500) {
      // Protocol endpoints answer in RFC 6749 §5.2 shape even for errors raised before them (bad JSON…).
      const body = exception.getResponse();
      const message =
        typeof body === 'string'
          ? body
          : String((body as { message?: unknown }).message ?? exception.message);
      void reply
        .status(exception.getStatus())
        .headers({ 'cache-control': 'no-store', pragma: 'no-cache' })
        .send({ error: 'invalid_request', error_description: message });
      return;
    }
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      void reply
        .status(exception.getStatus())
        .send(typeof body === 'string' ? { statusCode: exception.getStatus(), message: body } : body);
      return;
    }
    const status = fastifyClientErrorStatus(exception);
    if (status) {
      void reply
        .status(status)
        .send({ error: 'invalid_request', error_description: (exception as Error).message });
      return;
    }
    this.logger.error(exception instanceof Error ? exception.stack : String(exception), `request ${req.id}`);
    void reply
      .status(HttpStatus.INTERNAL_SERVER_ERROR)
      .header('cache-control', 'no-store')
      .send({ error: 'server_error', error_description: 'The server encountered an unexpected condition' });
  }
}

/** The OAuth endpoints and simple login (POST /auth), which answers in the token endpoint's error shape. */
function isProtocolUrl(url: string): boolean {
  return url.startsWith('/oauth/') || /^\/auth(?:[/?]|$)/.test(url);
}

/** Fastify's own 4xx errors (bad JSON, unsupported media type, body too large) keep their status. */
function fastifyClientErrorStatus(e: unknown): number | undefined {
  const err = e as { statusCode?: number; code?: string };
  if (
    typeof err?.code === 'string' &&
    err.code.startsWith('FST_') &&
    err.statusCode &&
    err.statusCode < 500
  ) {
    return err.statusCode;
  }
  return undefined;
}
