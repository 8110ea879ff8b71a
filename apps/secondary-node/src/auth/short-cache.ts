/**
 * What a replica read from the database about a credential, trusted for at most `ttlMs` (so a
 * revocation on another replica takes effect within that), with concurrent loads of one key
 * shared. Bounded: when full, it starts over (a cache miss costs one primary-key read).
 */
export class ShortCache<V> {
  private readonly entries = new Map<string, { value: Promise<V>; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string, load: () => Promise<V>): Promise<V> {
    const now = Date.now();
    const cached = this.entries.get(key);
    if (cached && cached.expiresAt > now) return cached.value;
    const value = load();
    if (this.ttlMs > 0) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(key, { value, expiresAt: now + this.ttlMs });
      // A failed load is not remembered: the next request asks the database again.
      value.catch(() => {
        if (this.entries.get(key)?.value === value) this.entries.delete(key);
      });
    }
    return value;
  }

  /** This replica learnt of a change: read it again next time. */
  forget(key: string): void {
    this.entries.delete(key);
  }
}
