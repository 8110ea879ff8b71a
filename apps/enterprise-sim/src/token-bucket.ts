/**
 * Rate limiting for the publisher: `rate` tokens per second, at most `capacity` stored (the burst).
 * A request for more tokens than the capacity waits for a full bucket and then goes into debt, so
 * large messages are paced correctly too.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  readonly capacity: number;

  constructor(
    readonly rate: number,
    capacity?: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!Number.isFinite(rate) || rate <= 0) throw new Error(`rate must be a positive number, got ${rate}`);
    this.capacity = capacity ?? Math.max(1, rate / 20);
    if (!(this.capacity >= 1)) throw new Error(`capacity must be at least 1, got ${capacity}`);
    this.tokens = this.capacity;
    this.last = this.now();
  }

  /** Takes `n` tokens and returns 0, or returns how many milliseconds to wait before trying again. */
  tryTake(n: number): number {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) * this.rate) / 1000);
    this.last = t;
    const need = Math.min(n, this.capacity);
    if (this.tokens >= need) {
      this.tokens -= n;
      return 0;
    }
    return Math.max(1, Math.ceil(((need - this.tokens) * 1000) / this.rate));
  }

  /** Waits for `n` tokens; false (nothing taken) when that would pass `deadline` (a `now()` value). */
  async take(n: number, deadline = Number.POSITIVE_INFINITY): Promise<boolean> {
    for (;;) {
      const wait = this.tryTake(n);
      if (wait === 0) return true;
      if (this.now() + wait > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}
