/** Most clients tracked at once; beyond it the oldest windows are dropped (bounded memory). */
export const MAX_TRACKED_CLIENTS = 100_000;

/**
 * A fixed one-minute window per client key (the client IP): `limit` requests per window, then a
 * refusal that says how many seconds remain until the window ends (Retry-After).
 */
export class FixedWindowRateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
  ) {}

  /** undefined when allowed, otherwise the seconds to wait. */
  take(key: string, now = Date.now()): number | undefined {
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      this.windows.delete(key);
      if (this.windows.size >= MAX_TRACKED_CLIENTS) this.evict(now);
      window = { start: now, count: 0 };
      this.windows.set(key, window);
    }
    if (window.count >= this.limit) return Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000));
    window.count += 1;
    return undefined;
  }

  private evict(now: number): void {
    for (const [key, window] of this.windows) {
      if (now - window.start >= this.windowMs || this.windows.size >= MAX_TRACKED_CLIENTS) this.windows.delete(key);
      if (this.windows.size < MAX_TRACKED_CLIENTS / 2) break;
    }
  }
}
