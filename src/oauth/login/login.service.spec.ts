import type { ConfigService } from '@nestjs/config';
import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../../config/env';
import type { AuditEventInput, AuditService } from '../../audit/audit.service';
import type { RequestMeta } from '../../platform/http/request-meta';
import type { UserEntity } from '../../users/user.entity';
import type { UsersService } from '../../users/users.service';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { MemoryCounterStore } from '../../platform/rate-limit/memory-counter.store';
import { LoginThrottle } from './login-throttle';
import { LoginService, type LoginContext } from './login.service';

const ada = { id: 'u-1', username: 'Ada' } as UserEntity;
const meta = { ip: '192.0.2.1', requestId: 'r-1' } as RequestMeta;
const ctx: LoginContext = { via: 'authorize', clientId: 'app', meta };

const fakeConfig = (values: Partial<AppConfig>) =>
  ({ get: (k: keyof AppConfig) => values[k] }) as unknown as ConfigService<AppConfig, true>;

function setup(hold?: Promise<void>) {
  const recorded: AuditEventInput[] = [];
  const audit = { record: (e: AuditEventInput) => (recorded.push(e), Promise.resolve()) } as AuditService;
  const users = {
    verifyCredentials: async (username: string, password: string) => (
      await hold,
      username.toLowerCase() === 'ada' && password === 'right'
        ? { user: ada }
        : { user: null, reason: 'wrong password' }
    ),
  } as unknown as UsersService;
  const config = fakeConfig({
    LOGIN_THROTTLE_WINDOW: 900,
    LOGIN_MAX_FAILURES_PER_USERNAME: 5,
    LOGIN_MAX_FAILURES_PER_ADDRESS: 20,
    PASSWORD_HASH_CONCURRENCY: 2,
    PASSWORD_HASH_QUEUE: 4,
  });
  const throttle = new LoginThrottle(new MemoryCounterStore(), config);
  return { recorded, login: new LoginService(users, throttle, audit, config, new MetricsService()) };
}

describe('LoginService', () => {
  it('returns the user and the login.succeeded event, leaving its commit to the caller', async () => {
    const { recorded, login } = setup();
    const result = await login.signIn('ada', 'right', ctx);
    expect(recorded).toEqual([]);
    expect(result).toEqual({
      user: ada,
      event: {
        type: 'login.succeeded',
        outcome: 'success',
        actor: 'u-1',
        subject: 'u-1',
        clientId: 'app',
        details: { username: 'Ada', via: 'authorize' },
        meta,
      },
    });
  });

  it('audits a failure with the username and reason, never the password', async () => {
    const { recorded, login } = setup();
    expect(await login.signIn('ada', 'wrong-secret', ctx)).toEqual({ user: null, reason: 'wrong password' });
    expect(recorded).toEqual([
      {
        type: 'login.failed',
        outcome: 'failure',
        actor: null,
        subject: null,
        clientId: 'app',
        details: { username: 'ada', reason: 'wrong password', via: 'authorize' },
        meta,
      },
    ]);
    expect(JSON.stringify(recorded)).not.toContain('wrong-secret');
  });

  it('throttles after five failures: no credential check, audited as throttled, with the wait', async () => {
    const { recorded, login } = setup();
    for (let i = 0; i < 5; i++) await login.signIn('ADA', `guess-${i}`, ctx);
    const result = await login.signIn('ada', 'right', ctx);
    expect(result).toEqual({ user: null, reason: 'throttled', retryAfter: expect.any(Number) });
    expect(result.user === null && result.retryAfter).toBeGreaterThan(0);
    expect(recorded.at(-1)?.details).toEqual({ username: 'ada', reason: 'throttled', via: 'authorize' });
  });

  it('a success clears the username’s failures', async () => {
    const { login } = setup();
    for (let i = 0; i < 4; i++) await login.signIn('ada', `guess-${i}`, ctx);
    expect((await login.signIn('ada', 'right', ctx)).user).toBe(ada);
    for (let i = 0; i < 4; i++) await login.signIn('ada', `guess-${i}`, ctx);
    expect((await login.signIn('ada', 'right', ctx)).user).toBe(ada);
  });

  it('runs at most PASSWORD_HASH_CONCURRENCY verifications, queues PASSWORD_HASH_QUEUE, refuses the rest at once', async () => {
    let release!: () => void;
    const { recorded, login } = setup(new Promise<void>((r) => (release = r)));
    const meta = (i: number) => ({ ...ctx, meta: { ip: `192.0.2.${i}`, requestId: `r-${i}` } });
    const results = Array.from({ length: 9 }, (_, i) => login.signIn(`user${i}`, 'pw', meta(i)));
    const refused = await Promise.all(results.slice(6));
    expect(refused).toEqual(Array(3).fill({ user: null, reason: 'busy', retryAfter: 1 }));
    expect(recorded.map((e) => e.details?.reason)).toEqual(['busy', 'busy', 'busy']);
    release();
    expect((await Promise.all(results.slice(0, 6))).map((r) => r.user === null && r.reason)).toEqual(
      Array(6).fill('wrong password'),
    );
  });
});
