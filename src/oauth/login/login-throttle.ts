import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../../config/env';
import { COUNTER_STORE, type CounterStore } from '../../platform/rate-limit/counter-store';

/**
 * Sign-in attempts per username and per client address in a fixed window (OWASP ASVS 2.2.1): per
 * username stops guessing one account from many addresses; per address stops spraying many accounts.
 *
 * An attempt is RESERVED before the password is verified — counted as a failure up front, in one
 * atomic increment of the shared counters (docs/architecture.md, "Rate limits") — so concurrent
 * attempts, on any number of instances, cannot all pass a check made before the others are counted.
 * A success then clears the username's counter and gives the address its attempt back.
 */
@Injectable()
export class LoginThrottle {
  private readonly windowMs: number;
  private readonly maxPerUsername: number;
  private readonly maxPerAddress: number;

  constructor(
    @Inject(COUNTER_STORE) private readonly store: CounterStore,
    @Inject(ConfigService) config: ConfigService<AppConfig, true>,
  ) {
    this.windowMs = config.get('LOGIN_THROTTLE_WINDOW', { infer: true }) * 1000;
    this.maxPerUsername = config.get('LOGIN_MAX_FAILURES_PER_USERNAME', { infer: true });
    this.maxPerAddress = config.get('LOGIN_MAX_FAILURES_PER_ADDRESS', { infer: true });
  }

  /** Counts the attempt; the seconds to wait when it is over a limit (not to be evaluated), else 0. */
  async reserve(username: string, ip: string): Promise<number> {
    const [user, address] = await this.store.increment([userKey(username), addressKey(ip)], this.windowMs);
    let waitMs = 0;
    if (user.count > this.maxPerUsername) waitMs = Math.max(waitMs, user.resetInMs);
    if (address.count > this.maxPerAddress) waitMs = Math.max(waitMs, address.resetInMs);
    return waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : 0;
  }

  /** A correct password: the username starts afresh, the address gets its reserved attempt back. */
  async succeeded(username: string, ip: string): Promise<void> {
    await Promise.all([this.store.take(userKey(username)), this.store.decrement([addressKey(ip)])]);
  }
}

const userKey = (username: string) => `login:user:${username.toLowerCase()}`;
const addressKey = (ip: string) => `login:addr:${ip}`;
