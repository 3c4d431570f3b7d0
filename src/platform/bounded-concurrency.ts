/** Thrown by {@link BoundedConcurrency.run} when every slot is busy and the queue is full. */
export class SaturatedError extends Error {
  constructor() {
    super('too many concurrent operations');
    this.name = 'SaturatedError';
  }
}

/**
 * At most `limit` operations at once, at most `queueLimit` more waiting in order; beyond that a caller
 * is refused at once (SaturatedError) rather than queued without bound. For CPU- or memory-heavy work
 * such as password hashing, which would otherwise occupy the whole thread pool.
 */
export class BoundedConcurrency {
  private active = 0;
  private peak = 0;
  private refusedCount = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly limit: number,
    readonly queueLimit: number,
  ) {}

  get inFlight(): number {
    return this.active;
  }

  /** The most operations ever run at once. */
  get maxInFlight(): number {
    return this.peak;
  }

  get queued(): number {
    return this.waiting.length;
  }

  get refused(): number {
    return this.refusedCount;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      if (this.waiting.length >= this.queueLimit) {
        this.refusedCount++;
        throw new SaturatedError();
      }
      // The slot is handed over by the finishing operation (active stays counted), so nobody jumps the queue.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    this.peak = Math.max(this.peak, this.active);
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
