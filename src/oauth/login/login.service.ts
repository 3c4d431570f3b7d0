import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Counter } from 'prom-client';
import { AuditService, type AuditEventInput } from '../../audit/audit.service';
import type { AppConfig } from '../../config/env';
import { BoundedConcurrency, SaturatedError } from '../../platform/bounded-concurrency';
import { MetricsService } from '../../platform/metrics/metrics.service';
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

/** Seconds a sign-in refused for want of a hashing slot is told to wait. */
const BUSY_RETRY_AFTER = 1;

/**
 * The one sign-in sequence of users, at `POST /auth` and on the authorization endpoint's login form:
 * the attempt reserved in the throttle (counted before the password is checked, so concurrent attempts
 * cannot outrun it), the credential check in a bounded number of concurrent password verifications,
 * success refunded, `login.failed` audited (the username and the reason, never the password).
 *
 * argon2id is deliberately expensive: unbounded, a burst of sign-ins (unknown usernames are verified
 * against a dummy hash too) occupies the whole libuv thread pool and stalls every other request. At most
 * PASSWORD_HASH_CONCURRENCY verifications run at once and PASSWORD_HASH_QUEUE wait; beyond that a
 * sign-in is refused at once with Retry-After (`reason: 'busy'`).
 */
@Injectable()
export class LoginService {
  private readonly hashing: BoundedConcurrency;

  constructor(
    private readonly users: UsersService,
    private readonly throttle: LoginThrottle,
    private readonly audit: AuditService,
    @Inject(ConfigService) config: ConfigService<AppConfig, true>,
    metrics: MetricsService,
  ) {
    const hashing = new BoundedConcurrency(
      config.get('PASSWORD_HASH_CONCURRENCY', { infer: true }),
      config.get('PASSWORD_HASH_QUEUE', { infer: true }),
    );
    this.hashing = hashing;
    metrics.gauge(
      'scopegate_password_verifications_in_flight',
      'Password verifications (argon2id) running now',
      () => hashing.inFlight,
    );
    metrics.gauge(
      'scopegate_password_verifications_in_flight_max',
      'Most password verifications ever running together, bounded by PASSWORD_HASH_CONCURRENCY',
      () => hashing.maxInFlight,
    );
    metrics.gauge(
      'scopegate_password_verifications_queued',
      'Password verifications waiting for a slot',
      () => hashing.queued,
    );
    new Counter({
      name: 'scopegate_password_verifications_refused_total',
      help: 'Sign-ins refused because the password verification queue was full',
      registers: [metrics.registry],
      collect() {
        this.reset();
        this.inc(hashing.refused);
      },
    });
  }

  async signIn(username: string, password: string, ctx: LoginContext): Promise<LoginResult> {
    const retryAfter = await this.throttle.reserve(username, ctx.meta.ip);
    if (retryAfter > 0) {
      await this.failed(username, 'throttled', ctx);
      return { user: null, reason: 'throttled', retryAfter };
    }
    let verified: Awaited<ReturnType<UsersService['verifyCredentials']>>;
    try {
      verified = await this.hashing.run(() => this.users.verifyCredentials(username, password));
    } catch (err) {
      if (!(err instanceof SaturatedError)) throw err;
      await this.failed(username, 'busy', ctx);
      return { user: null, reason: 'busy', retryAfter: BUSY_RETRY_AFTER };
    }
    const { user, reason = 'invalid credentials' } = verified;
    if (!user) {
      await this.failed(username, reason, ctx);
      return { user: null, reason };
    }
    await this.throttle.succeeded(username, ctx.meta.ip);
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
