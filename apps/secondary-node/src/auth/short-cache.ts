/**
 * What a replica read from the database about a credential, trusted for at most `ttlMs` (so a
 * revocation on another replica takes effect within that), with concurrent loads of one key
 * shared. Bounded: when full, it starts over (a cache miss costs one primary-key read).
 */
export class ShortCache<V> {
  private readonly entries = new Map<string, { value: Promise<V>; expiresAt: number; settled?: { value: V } }>();

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
      const entry: { value: Promise<V>; expiresAt: number; settled?: { value: V } } = { value, expiresAt: now + this.ttlMs };
      this.entries.set(key, entry);
      value.then((settled) => (entry.settled = { value: settled }), () => undefined);
      // A failed load is not remembered: the next request asks the database again.
      value.catch(() => {
        if (this.entries.get(key)?.value === value) this.entries.delete(key);
      });
    }
    return value;
  }

  /** What a fresh, already loaded entry holds, without waiting or loading (for checks that cannot await). */
  peek(key: string): { value: V } | undefined {
    const cached = this.entries.get(key);
    return cached && cached.expiresAt > Date.now() ? cached.settled : undefined;
  }

  /** This replica learnt of a change: read it again next time. */
  forget(key: string): void {
    this.entries.delete(key);
  }
}
