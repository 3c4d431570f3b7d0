import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle';

describe('LoginThrottle', () => {
  const t0 = 1_800_000_000_000;

  it('blocks a username after 5 failures for the rest of the window, whatever the case', () => {
    const t = new LoginThrottle();
    for (let i = 0; i < 5; i++) t.failed(i % 2 ? 'Alice' : 'alice', `10.0.0.${i}`, t0);
    expect(t.retryAfter('ALICE', '10.9.9.9', t0 + 1000)).toBe(899);
    expect(t.retryAfter('bob', '10.9.9.9', t0 + 1000)).toBe(0);
    expect(t.retryAfter('alice', '10.9.9.9', t0 + 15 * 60_000 + 1)).toBe(0);
  });

  it('blocks an IP after 20 failures across usernames; success clears the username only', () => {
    const t = new LoginThrottle();
    for (let i = 0; i < 20; i++) t.failed(`user${i}`, '10.0.0.1', t0);
    expect(t.retryAfter('someone-else', '10.0.0.1', t0)).toBeGreaterThan(0);
    expect(t.retryAfter('someone-else', '10.0.0.2', t0)).toBe(0);
    const u = new LoginThrottle();
    for (let i = 0; i < 5; i++) u.failed('carol', '10.0.0.3', t0);
    u.succeeded('carol');
    expect(u.retryAfter('carol', '10.0.0.4', t0)).toBe(0);
  });
});
