import type { ConfigService } from '@nestjs/config';
import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../../config/env';
import { MemoryCounterStore } from '../../platform/rate-limit/memory-counter.store';
import { LoginThrottle } from './login-throttle';

const settings: Partial<AppConfig> = {
  LOGIN_THROTTLE_WINDOW: 900,
  LOGIN_MAX_FAILURES_PER_USERNAME: 5,
  LOGIN_MAX_FAILURES_PER_ADDRESS: 20,
};
const fakeConfig = (values: Partial<AppConfig>) =>
  ({ get: (k: keyof AppConfig) => values[k] }) as unknown as ConfigService<AppConfig, true>;

describe('LoginThrottle', () => {
  const t0 = 1_800_000_000_000;
  let now = t0;
  const throttle = () => new LoginThrottle(new MemoryCounterStore(() => now), fakeConfig(settings));

  it('lets 5 attempts of a username through per window, whatever the case, then tells the wait', async () => {
    now = t0;
    const t = throttle();
    for (let i = 0; i < 5; i++) expect(await t.reserve(i % 2 ? 'Alice' : 'alice', `10.0.0.${i}`)).toBe(0);
    now = t0 + 1000;
    expect(await t.reserve('ALICE', '10.9.9.9')).toBe(899);
    expect(await t.reserve('bob', '10.9.9.9')).toBe(0);
    now = t0 + 15 * 60_000 + 1;
    expect(await t.reserve('alice', '10.9.9.9')).toBe(0);
  });

  it('concurrent reservations are counted before any is evaluated: only 5 of 50 get through', async () => {
    now = t0;
    const t = throttle();
    const waits = await Promise.all(Array.from({ length: 50 }, (_, i) => t.reserve('dave', `10.1.0.${i}`)));
    expect(waits.filter((w) => w === 0)).toHaveLength(5);
  });

  it('limits an address across usernames; a success clears the username and refunds the address', async () => {
    now = t0;
    const t = throttle();
    for (let i = 0; i < 20; i++) await t.reserve(`user${i}`, '10.0.0.1');
    expect(await t.reserve('someone-else', '10.0.0.1')).toBeGreaterThan(0);
    expect(await t.reserve('someone-else', '10.0.0.2')).toBe(0);
    const u = throttle();
    for (let i = 0; i < 4; i++) await u.reserve('carol', '10.0.0.3');
    await u.succeeded('carol', '10.0.0.3');
    for (let i = 0; i < 5; i++) expect(await u.reserve('carol', '10.0.0.4')).toBe(0);
    for (let i = 0; i < 17; i++) expect(await u.reserve(`x${i}`, '10.0.0.3')).toBe(0);
    expect(await u.reserve('y', '10.0.0.3')).toBeGreaterThan(0);
  });
});
