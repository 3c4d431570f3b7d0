import { Injectable } from '@nestjs/common';

const WINDOW_MS = 15 * 60_000;
const MAX_PER_USERNAME = 5;
const MAX_PER_IP = 20;
const MAX_KEYS = 50_000;

/**
 * Failed sign-ins per username and per client IP in a sliding 15-minute window (OWASP ASVS 2.2.1).
 * Per username stops guessing one account from many addresses; per IP stops spraying many accounts.
 * In memory, per instance: a deliberate simplification (several instances multiply the budget).
 */
@Injectable()
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  /** Seconds until another attempt is allowed, or 0. */
  retryAfter(username: string, ip: string, now = Date.now()): number {
    const wait = (key: string, max: number) => {
      const recent = this.recent(key, now);
      return recent.length >= max ? Math.ceil((recent[0] + WINDOW_MS - now) / 1000) : 0;
    };
    return Math.max(wait(`u:${username.toLowerCase()}`, MAX_PER_USERNAME), wait(`ip:${ip}`, MAX_PER_IP));
  }

  failed(username: string, ip: string, now = Date.now()): void {
    for (const key of [`u:${username.toLowerCase()}`, `ip:${ip}`]) {
      const recent = this.recent(key, now);
      recent.push(now);
      this.failures.delete(key);
      this.failures.set(key, recent);
    }
    while (this.failures.size > MAX_KEYS) this.failures.delete(this.failures.keys().next().value!);
  }

  succeeded(username: string): void {
    this.failures.delete(`u:${username.toLowerCase()}`);
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => t > now - WINDOW_MS);
  }
}
