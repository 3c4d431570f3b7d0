import { Injectable } from '@nestjs/common';
import { AuditService, type AuditEventInput } from '../../audit/audit.service';
import type { RequestMeta } from '../../platform/http/request-meta';
import type { UserEntity } from '../../users/user.entity';
import { UsersService } from '../../users/users.service';
import { LoginThrottle } from './login-throttle';

/** Where a user signs in: the endpoint (`details.via` of the events) and the client it is for. */
export interface LoginContext {
  via: 'auth' | 'authorize';
  clientId: string;
  meta: RequestMeta;
}

/**
 * A sign-in's outcome. On success, the `login.succeeded` event for the caller to commit with what it
 * does next; on failure, the reason (already audited, never shown to the user) and, when throttled,
 * the seconds until another attempt is allowed.
 */
export type LoginResult =
  { user: UserEntity; event: AuditEventInput } | { user: null; reason: string; retryAfter?: number };

/**
 * The one sign-in sequence of users, at `POST /auth` and on the authorization endpoint's login form:
 * throttle check, credential check, failure or success counted, `login.failed` audited (the username
 * and the reason, never the password).
 */
@Injectable()
export class LoginService {
  constructor(
    private readonly users: UsersService,
    private readonly throttle: LoginThrottle,
    private readonly audit: AuditService,
  ) {}

  async signIn(username: string, password: string, ctx: LoginContext): Promise<LoginResult> {
    const retryAfter = this.throttle.retryAfter(username, ctx.meta.ip);
    if (retryAfter > 0) {
      await this.failed(username, 'throttled', ctx);
      return { user: null, reason: 'throttled', retryAfter };
    }
    const { user, reason = 'invalid credentials' } = await this.users.verifyCredentials(username, password);
    if (!user) {
      this.throttle.failed(username, ctx.meta.ip);
      await this.failed(username, reason, ctx);
      return { user: null, reason };
    }
    this.throttle.succeeded(username);
    return {
      user,
      event: this.event('login.succeeded', user, ctx, { username: user.username, via: ctx.via }),
    };
  }

  private failed(username: string, reason: string, ctx: LoginContext) {
    return this.audit.record(
      this.event('login.failed', null, ctx, { username: username.slice(0, 64), reason, via: ctx.via }),
    );
  }

  private event(
    type: 'login.succeeded' | 'login.failed',
    user: UserEntity | null,
    ctx: LoginContext,
    details: Record<string, unknown>,
  ): AuditEventInput {
    return {
      type,
      outcome: user ? 'success' : 'failure',
      actor: user?.id ?? null,
      subject: user?.id ?? null,
      clientId: ctx.clientId,
      details,
      meta: ctx.meta,
    };
  }
}
