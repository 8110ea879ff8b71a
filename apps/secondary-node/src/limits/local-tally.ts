import type { LimitStore } from './limit-store';

/** A refused call: what the RateLimit-* and Retry-After headers say. */
export interface Refusal {
  limit: number;
  remaining: number;
  /** Milliseconds until the window ends and points are available again. */
  resetMs: number;
  windowSeconds: number;
}

interface Tally {
  /** Points counted by every replica in the current window, as of the last sync. */
  known: number;
  /** Points taken here since the last sync (not yet in `known`). */
  pending: number;
  /** When the shared window ends (epoch ms); 0 before the first sync. */
  resetAt: number;
}

/** Keys remembered at most; beyond this the oldest are forgotten (which only makes the limit more lenient). */
const MAX_KEYS = 200_000;

/**
 * Counting for the hot families without a Redis round trip per request: each call is decided in
 * this process against the last known shared count plus what was taken here since, and every
 * `syncIntervalMs` the points taken here are added to the shared counter in one command per key
 * (the LimitStore: Redis, or memory while Redis is unavailable), which answers with the new shared
 * count. Across N replicas a key may overshoot its limit by at most what the replicas admit
 * within one sync interval.
 */
export class LocalTally {
  private readonly tallies = new Map<string, Tally>();
  private readonly dirty = new Set<string>();
  private syncing: Promise<void> | undefined;
  private pushes = 0;
  private readonly limit: number;
  private readonly windowMs: number;

  constructor(private readonly store: LimitStore) {
    this.limit = store.rule.points;
    this.windowMs = store.rule.windowSeconds * 1000;
  }

  /** undefined when the call is allowed (the hot case allocates nothing), else the refusal. */
  take(key: string, points: number, now: number): Refusal | undefined {
    let tally = this.tallies.get(key);
    if (tally === undefined) {
      if (this.tallies.size >= MAX_KEYS) this.forgetOldest();
      tally = { known: 0, pending: 0, resetAt: 0 };
      this.tallies.set(key, tally);
    } else if (tally.resetAt !== 0 && now >= tally.resetAt) {
      tally.known = 0;
      tally.resetAt = 0;
    }
    const used = tally.known + tally.pending;
    if (used + points > this.limit) {
      return { limit: this.limit, remaining: Math.max(0, this.limit - used), resetMs: tally.resetAt === 0 ? this.windowMs : tally.resetAt - now, windowSeconds: this.windowMs / 1000 };
    }
    tally.pending += points;
    this.dirty.add(key);
    return undefined;
  }

  /** Adds what was taken here to the shared counts; one sync at a time. */
  sync(): Promise<void> {
    this.syncing ??= this.push().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  get size(): number {
    return this.tallies.size;
  }

  private async push(): Promise<void> {
    const keys = [...this.dirty];
    this.dirty.clear();
    await Promise.all(keys.map((key) => this.pushKey(key)));
    // Forgetting finished windows walks every key: about once a second is enough.
    this.pushes += 1;
    if (this.pushes % 10 === 0) this.sweep(Date.now());
  }

  private async pushKey(key: string): Promise<void> {
    const tally = this.tallies.get(key);
    if (tally === undefined || tally.pending === 0) return;
    const sent = tally.pending;
    try {
      const count = await this.store.add(key, sent);
      tally.pending -= sent;
      tally.known = count.consumed;
      tally.resetAt = Date.now() + count.msBeforeReset;
    } catch {
      // Not even the in-process counter answered: keep the points for the next sync.
      this.dirty.add(key);
    }
  }

  /** Forgets keys whose window is over and that have nothing pending. */
  private sweep(now: number): void {
    for (const [key, tally] of this.tallies) {
      if (tally.pending === 0 && (tally.resetAt === 0 || now >= tally.resetAt)) this.tallies.delete(key);
    }
  }

  private forgetOldest(): void {
    const oldest = this.tallies.keys().next();
    if (!oldest.done) {
      this.tallies.delete(oldest.value);
      this.dirty.delete(oldest.value);
    }
  }
}
