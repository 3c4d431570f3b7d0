import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { OAuthError } from '../core/errors';

/**
 * Renders the guard's refusals as RFC 6750 §3 demands: the status, `WWW-Authenticate: Bearer …`
 * (and `Retry-After` on 503), `Cache-Control: no-store`, and the body `{error, error_description}`.
 * Works on Fastify and Express alike through Nest's HTTP adapter.
 */
@Catch(OAuthError)
export class OAuthErrorFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(err: OAuthError, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const res: unknown = host.switchToHttp().getResponse();
    for (const [name, value] of Object.entries(err.headers)) httpAdapter.setHeader(res, name, value);
    httpAdapter.setHeader(res, 'Cache-Control', 'no-store');
    httpAdapter.reply(res, err.toJSON(), err.status);
  }
}
