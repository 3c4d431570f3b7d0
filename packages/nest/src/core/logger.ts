/** Where the package's few lines go; Nest's Logger and console both fit. */
export interface ScopegateLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const consoleLogger: ScopegateLogger = {
  log: (m) => console.log(`[scopegate] ${m}`),
  warn: (m) => console.warn(`[scopegate] ${m}`),
  error: (m) => console.error(`[scopegate] ${m}`),
};

/** Logs a line at most once per `intervalMs` per key: an outage is one line, not one per request. */
export class ThrottledLog {
  private readonly last = new Map<string, number>();
  constructor(
    private readonly logger: ScopegateLogger,
    private readonly intervalMs = 30_000,
  ) {}

  warn(key: string, message: string): void {
    const now = Date.now();
    if (now - (this.last.get(key) ?? -Infinity) < this.intervalMs) return;
    this.last.set(key, now);
    this.logger.warn(message);
  }

  /** The condition is over: its next occurrence is logged at once. */
  clear(key: string): boolean {
    return this.last.delete(key);
  }
}
