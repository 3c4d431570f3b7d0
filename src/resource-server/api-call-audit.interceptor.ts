import {
  HttpException,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { catchError, mergeMap, type Observable } from 'rxjs';
import { isDatabaseUnavailable } from '../platform/unavailable';
import { OAuthError } from '../protocol/errors';
import { apiCallEvent } from './api-call.event';
import { REQUIRED_SCOPES, type AuthenticatedRequest } from './decorators';
import { ApiCallRecorder } from './resource-server.ports';

/**
 * Each protected API call is audited with the token's jti, the scopes it used and the decision.
 * Refusals are recorded by the guard; this records the calls it let through.
 */
@Injectable()
export class ApiCallAuditInterceptor implements NestInterceptor {
  constructor(
    private readonly recorder: ApiCallRecorder,
    private readonly reflector: Reflector,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = req.user;
    if (!principal) return next.handle();
    const scopesUsed =
      this.reflector.getAllAndOverride<string[]>(REQUIRED_SCOPES, [ctx.getHandler(), ctx.getClass()]) ?? [];
    const record = (status?: number) =>
      this.recorder.record(apiCallEvent(req, { decision: 'allowed', principal, scopesUsed, status }));
    // Under an audit backlog the recorder hands back the write: the response then waits for it
    // (backpressure), so unwritten events cannot pile up without bound.
    return next.handle().pipe(
      mergeMap(async (body: unknown) => {
        await record();
        return body;
      }),
      catchError(async (err: unknown) => {
        await record(
          err instanceof HttpException
            ? err.getStatus()
            : err instanceof OAuthError
              ? err.status
              : isDatabaseUnavailable(err)
                ? 503
                : 500,
        );
        throw err;
      }),
    );
  }
}
