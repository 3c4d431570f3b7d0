import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { refused, type Principal } from '../core/access-token';
import { bearerTokenOf } from '../core/bearer-token';
import { InsufficientScopeError, MissingTokenError, OAuthError } from '../core/errors';
import { IS_PUBLIC, REQUIRED_SCOPES } from './decorators';
import { requestInfoOf, routeOf, type ScopegateRequest } from './http-request';
import { AccessTokenAuthenticator, ApiCallRecorder } from './ports';

/**
 * The global guard, deny by default: an HTTP route needs a valid access token carrying every scope its
 * `@Authenticated({ scopes })` names, unless it is `@Public()`. Refusals are RFC 6750 §3 errors —
 * no token: 401 with a bare challenge; a bad one: 401 invalid_token; a missing scope: 403
 * insufficient_scope — and each is recorded.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: AccessTokenAuthenticator,
    private readonly recorder: ApiCallRecorder,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    // Deny by default on every transport: the bearer token is read from HTTP requests only, so a
    // GraphQL resolver, WebSocket or RPC handler the guard reaches runs only when marked public.
    if (ctx.getType() !== 'http') return false;
    const required = this.reflector.getAllAndOverride<string[]>(REQUIRED_SCOPES, targets) ?? [];
    const req = ctx.switchToHttp().getRequest<ScopegateRequest>();
    try {
      req.user = await this.principalOf(req);
      const missing = required.filter((s) => !req.user!.scopes.includes(s));
      if (missing.length) throw new InsufficientScopeError(required);
      return true;
    } catch (error) {
      void this.recorder.record({
        decision: 'denied',
        principal: req.user,
        method: req.method,
        route: routeOf(req),
        url: req.url.split('?')[0],
        status: error instanceof OAuthError ? error.status : 401,
        failed: false,
        scopesUsed: required,
        error,
        ...requestInfoOf(req),
        occurredAt: new Date(),
      });
      throw error;
    }
  }

  private async principalOf(req: ScopegateRequest): Promise<Principal> {
    const token = bearerTokenOf(req);
    if (token === undefined) throw new MissingTokenError();
    if (token === '') throw refused('malformed');
    return this.authenticator.authenticate(token);
  }
}
