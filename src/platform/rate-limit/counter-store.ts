/** A counter in its current window. */
export interface WindowCount {
  count: number;
  /** Milliseconds until the window ends and the counter starts again from zero (0 when absent). */
  resetInMs: number;
}

/**
 * Counters in fixed windows, shared by every instance of the server (docs/architecture.md, "Rate
 * limits"): PostgreSQL by default, Redis when REDIS_URL is set. A window starts at a key's first
 * increment and ends `windowMs` later; it is never extended. Every operation is atomic per key, so
 * concurrent requests on any number of instances see each other's increments.
 */
export interface CounterStore {
  /** Adds one to each key (a new window for an absent or expired key); the counts after the increment. */
  increment(keys: readonly string[], windowMs: number): Promise<WindowCount[]>;
  /** Takes one back from each key that is still in its window (never below zero). */
  decrement(keys: readonly string[]): Promise<void>;
  /** The current counts, changing nothing. */
  peek(keys: readonly string[]): Promise<WindowCount[]>;
  /** Deletes the key; its count before (0 when absent or expired). */
  take(key: string): Promise<number>;
}

export const COUNTER_STORE = Symbol('COUNTER_STORE');
