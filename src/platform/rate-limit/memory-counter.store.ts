import type { CounterStore, WindowCount } from './counter-store';

/**
 * {@link CounterStore} in this process's memory, with an explicit clock: for unit tests of the rules
 * built on counters. Not shared between instances, so never the server's store.
 */
export class MemoryCounterStore implements CounterStore {
  private readonly counters = new Map<string, { count: number; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  increment(keys: readonly string[], windowMs: number): Promise<WindowCount[]> {
    const now = this.now();
    return Promise.resolve(
      keys.map((k) => {
        const live = this.live(k, now);
        const c = live
          ? { count: live.count + 1, expiresAt: live.expiresAt }
          : { count: 1, expiresAt: now + windowMs };
        this.counters.set(k, c);
        return { count: c.count, resetInMs: c.expiresAt - now };
      }),
    );
  }

  decrement(keys: readonly string[]): Promise<void> {
    const now = this.now();
    for (const k of keys) {
      const live = this.live(k, now);
      if (live && live.count > 0) live.count--;
    }
    return Promise.resolve();
  }

  peek(keys: readonly string[]): Promise<WindowCount[]> {
    const now = this.now();
    return Promise.resolve(
      keys.map((k) => {
        const live = this.live(k, now);
        return live ? { count: live.count, resetInMs: live.expiresAt - now } : { count: 0, resetInMs: 0 };
      }),
    );
  }

  take(key: string): Promise<number> {
    const live = this.live(key, this.now());
    this.counters.delete(key);
    return Promise.resolve(live?.count ?? 0);
  }

  private live(key: string, now: number) {
    const c = this.counters.get(key);
    return c && c.expiresAt > now ? c : undefined;
  }
}
