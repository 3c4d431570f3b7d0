import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { refused, type Principal } from '../protocol/access-token';
import { bearerTokenOf } from '../protocol/bearer-token';
import { InsufficientScopeError, MissingTokenError } from '../protocol/errors';
import { apiCallEvent } from './api-call.event';
import { IS_PUBLIC, REQUIRED_SCOPES, type AuthenticatedRequest } from './decorators';
import { AccessTokenAuthenticator, ApiCallRecorder } from './resource-server.ports';

/**
 * The global guard, deny by default: a route needs a valid access token carrying every scope its
 * `@Authenticated({ scopes })` names, unless it is `@Public()`. Refusals are RFC 6750 §3 errors —
 * no token: 401 with a bare challenge; a bad one: 401 invalid_token; a missing scope: 403
 * insufficient_scope — and each is audited.
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
    const required = this.reflector.getAllAndOverride<string[]>(REQUIRED_SCOPES, targets) ?? [];
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    try {
      req.user = await this.principalOf(req);
      if (required.some((s) => !req.user!.scopes.has(s))) throw new InsufficientScopeError(required);
      return true;
    } catch (error) {
      void this.recorder.record(apiCallEvent(req, { decision: 'denied', principal: req.user, error }));
      throw error;
    }
  }

  private async principalOf(req: AuthenticatedRequest): Promise<Principal> {
    const token = bearerTokenOf(req);
    if (token === undefined) throw new MissingTokenError();
    if (token === '') throw refused('malformed');
    return this.authenticator.authenticate(token);
  }
}
