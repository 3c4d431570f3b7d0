import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { refused, type Principal } from '../protocol/access-token';
import { bearerTokenOf } from '../protocol/bearer-token';
import { InsufficientScopeError, MissingTokenError } from '../protocol/errors';
import { apiCallEvent } from './api-call.event';
import { IS_PUBLIC, REQUIRED_SCOPES, type AuthenticatedRequest } from './decorators';
import { AccessTokenAuthenticator, ApiCallRecorder } from './resource-server.ports';
import { VerifiedTokenCache } from './verified-token.cache';

const VERIFIED_CACHE_MAX = 10_000;

/**
 * The global guard, deny by default: a route needs a valid access token carrying every scope its
 * `@Authenticated({ scopes })` names, unless it is `@Public()`. Refusals are RFC 6750 §3 errors —
 * no token: 401 with a bare challenge; a bad one: 401 invalid_token; a missing scope: 403
 * insufficient_scope — and each is audited.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  private readonly verified = new VerifiedTokenCache(VERIFIED_CACHE_MAX);

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
    const cached = this.verified.get(token, Date.now());
    if (cached) {
      try {
        await this.authenticator.reconfirm(cached);
      } catch (err) {
        this.verified.delete(token);
        throw err;
      }
      return cached;
    }
    const principal = await this.authenticator.authenticate(token);
    this.verified.set(token, principal);
    return principal;
  }
}
