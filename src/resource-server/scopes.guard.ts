import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuditService } from '../audit/audit.service';
import { requestMetaOf } from '../platform/http/request-meta';
import { InsufficientScopeError } from '../protocol/errors';
import { IS_PUBLIC, REQUIRED_SCOPES, type AuthenticatedRequest } from './decorators';

/** Global guard after JwtAuthGuard: the token must carry every scope the route declares. */
@Injectable()
export class ScopesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditService,
  ) {}

  canActivate(ctx: ExecutionContext): boolean {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const required = this.reflector.getAllAndOverride<string[]>(REQUIRED_SCOPES, targets) ?? [];
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = req.user!;
    const missing = required.filter((s) => !principal.scopes.has(s));
    if (missing.length === 0) return true;
    this.audit.recordLater({
      type: 'api.call',
      outcome: 'denied',
      actor: principal.sub,
      subject: principal.sub,
      clientId: principal.clientId,
      jti: principal.jti,
      details: {
        method: req.method,
        path: req.routeOptions.url,
        reason: 'insufficient_scope',
        required,
        status: 403,
      },
      meta: requestMetaOf(req),
    });
    throw new InsufficientScopeError(required);
  }
}
