import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { TokenExpiredError, NotBeforeError } from 'jsonwebtoken';
import { AuditService } from '../audit/audit.service';
import { requestMetaOf } from '../platform/http/request-meta';
import { InvalidTokenError, MissingTokenError, type OAuthError } from '../protocol/errors';
import { KeysService } from '../keys/keys.service';
import { RevocationService } from '../tokens/revocation.service';
import { IS_PUBLIC } from './decorators';
import { bearerTokenOf } from '../protocol/bearer-token';
import { BEARER_TOKEN, TokenRejected, type RequestWithToken } from './jwt.strategy';
import type { Principal } from './principal';

/**
 * Global guard: every route needs a valid access token unless it is marked `@Public()`. Failures are
 * RFC 6750 §3 errors, never a bare `false`, and each refused call is audited.
 */
const VERIFIED_CACHE_MAX = 10_000;

@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  private readonly verified = new Map<string, Principal>();

  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditService,
    private readonly revocations: RevocationService,
    private readonly keys: KeysService,
  ) {
    super();
  }

  override async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [ctx.getHandler(), ctx.getClass()])) return true;
    const req = ctx.switchToHttp().getRequest<RequestWithToken>();
    try {
      const token = bearerTokenOf(req);
      if (token === undefined) throw new MissingTokenError();
      if (token === '') throw new InvalidTokenError('The access token is malformed');
      const cached = this.verified.get(token);
      if (cached && cached.exp * 1000 > Date.now() && cached.kid && this.keys.verificationKey(cached.kid)) {
        if (await this.revocations.isRevoked(cached.jti))
          throw new InvalidTokenError('The access token was revoked');
        req.user = cached;
        return true;
      }
      req[BEARER_TOKEN] = token;
      const ok = (await super.canActivate(ctx)) as boolean;
      this.remember(token, req.user as Principal);
      return ok;
    } catch (err) {
      this.audit.recordLater({
        type: 'api.call',
        outcome: 'denied',
        details: {
          method: req.method,
          path: req.routeOptions.url ?? req.url.split('?')[0],
          reason: (err as OAuthError).error ?? 'invalid_token',
          status: (err as OAuthError).status ?? 401,
        },
        meta: requestMetaOf(req),
      });
      throw err;
    }
  }

  /**
   * Tokens already verified are remembered until they expire (bounded), so a client reusing its token
   * costs a map lookup instead of a signature check (~90 µs). Revocation and key removal
   * are still checked on every request.
   */
  private remember(token: string, principal: Principal): void {
    if (this.verified.size >= VERIFIED_CACHE_MAX) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, principal);
  }

  override handleRequest<T = Principal>(err: unknown, user: T | false, info: unknown): T {
    if (user && !err) return user;
    throw new InvalidTokenError(describe(err ?? info), String((err ?? info) as Error));
  }
}

function describe(reason: unknown): string {
  if (reason instanceof TokenRejected) return reason.message;
  if (reason instanceof TokenExpiredError) return 'The access token expired';
  if (reason instanceof NotBeforeError) return 'The access token is not valid yet';
  const code = (reason as { code?: string } | undefined)?.code;
  if (code === 'ERR_JWT_EXPIRED') return 'The access token expired';
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return 'The access token signature is invalid';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    const claim = (reason as { claim?: string }).claim;
    if (claim === 'iss') return 'The access token was issued by another issuer';
    if (claim === 'aud') return 'The access token is not meant for this resource';
    if (claim === 'nbf') return 'The access token is not valid yet';
  }
  const message = reason instanceof Error ? reason.message : '';
  if (message.startsWith('jwt issuer invalid')) return 'The access token was issued by another issuer';
  if (message.startsWith('jwt audience invalid')) return 'The access token is not meant for this resource';
  if (message === 'invalid signature') return 'The access token signature is invalid';
  return 'The access token is invalid';
}
