import {
  HttpException,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { catchError, mergeMap, type Observable } from 'rxjs';
import { OAuthError } from '../core/errors';
import { REQUIRED_SCOPES } from './decorators';
import { requestInfoOf, routeOf, type ScopegateRequest } from './http-request';
import { ApiCallRecorder } from './ports';

/** Nest's `@HttpCode` metadata key. */
const HTTP_CODE_METADATA = '__httpCode__';

/**
 * Each protected call that the guard let through is recorded with the token's jti, the scopes the
 * route required and the response status; refusals are recorded by the guard.
 */
@Injectable()
export class ApiCallInterceptor implements NestInterceptor {
  constructor(
    private readonly recorder: ApiCallRecorder,
    private readonly reflector: Reflector,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<ScopegateRequest>();
    const principal = req.user;
    if (!principal) return next.handle();
    const scopesUsed =
      this.reflector.getAllAndOverride<string[]>(REQUIRED_SCOPES, [ctx.getHandler(), ctx.getClass()]) ?? [];
    const ok =
      (Reflect.getMetadata(HTTP_CODE_METADATA, ctx.getHandler()) as number | undefined) ??
      (req.method === 'POST' ? 201 : 200);
    const record = (status: number, failed: boolean, error?: unknown) =>
      this.recorder.record({
        decision: 'allowed',
        principal,
        method: req.method,
        route: routeOf(req),
        url: req.url.split('?')[0],
        status,
        failed,
        scopesUsed,
        error,
        ...requestInfoOf(req),
        occurredAt: new Date(),
      });
    // Under a backlog the recorder hands back the write: the response then waits for it
    // (backpressure), so unwritten records cannot pile up without bound.
    return next.handle().pipe(
      mergeMap(async (body: unknown) => {
        await record(ok, false);
        return body;
      }),
      catchError(async (err: unknown) => {
        const status =
          err instanceof HttpException ? err.getStatus() : err instanceof OAuthError ? err.status : 500;
        await record(status, true, err);
        throw err;
      }),
    );
  }
}
