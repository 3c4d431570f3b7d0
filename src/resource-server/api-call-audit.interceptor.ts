import {
  HttpException,
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { catchError, mergeMap, type Observable } from 'rxjs';
import { AuditService } from '../audit/audit.service';
import { requestMetaOf } from '../platform/http/request-meta';
import { OAuthError } from '../protocol/errors';
import { REQUIRED_SCOPES, type AuthenticatedRequest } from './decorators';
import { Reflector } from '@nestjs/core';

/**
 * Each protected API call is audited with the token's jti, the scopes it used and the
 * decision. Refusals are recorded by the guards; this records the calls they let through. These
 * events are batched (not awaited) and flushed on shutdown.
 */
@Injectable()
export class ApiCallAuditInterceptor implements NestInterceptor {
  constructor(
    private readonly audit: AuditService,
    private readonly reflector: Reflector,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = req.user;
    if (!principal) return next.handle();
    const used =
      this.reflector.getAllAndOverride<string[]>(REQUIRED_SCOPES, [ctx.getHandler(), ctx.getClass()]) ?? [];
    const record = (status: number | undefined) =>
      this.audit.recordLater({
        type: 'api.call',
        outcome: status === undefined ? 'success' : 'failure',
        actor: principal.sub,
        subject: principal.sub,
        clientId: principal.clientId,
        jti: principal.jti,
        details: {
          method: req.method,
          path: req.routeOptions.url,
          url: req.url.split('?')[0],
          scopes_used: used,
          token_scope: [...principal.scopes].join(' '),
          decision: 'allowed',
          ...(status === undefined ? {} : { status }),
        },
        meta: requestMetaOf(req),
      });
    // Under an audit backlog recordLater hands back the commit: the response then waits for it
    // (backpressure), so unwritten events cannot pile up without bound.
    return next.handle().pipe(
      mergeMap(async (body: unknown) => {
        await record(undefined);
        return body;
      }),
      catchError(async (err: unknown) => {
        await record(
          err instanceof HttpException ? err.getStatus() : err instanceof OAuthError ? err.status : 500,
        );
        throw err;
      }),
    );
  }
}
