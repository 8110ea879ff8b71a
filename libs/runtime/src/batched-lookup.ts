/**
 * Adaptive micro-batching of primary-key lookups.
 *
 * Under load most of a database read's cost is per statement, not per row: the socket write and
 * read on each side, PostgreSQL's executor start-up, the driver's bookkeeping. So while up to
 * `maxInFlight` statements are running, new keys wait and then go together in the next
 * statement (`WHERE key = ANY($1)`), up to `maxBatch` keys. An idle system sends a key at once, so
 * batching adds no latency at low load; it only replaces queueing for a pooled connection, which
 * the keys would have waited for anyway.
 */
export class BatchedLookup<K, V> {
  private waiting = new Map<K, Array<Settle<V>>>();
  private inFlight = 0;

  constructor(
    private readonly fetch: (keys: K[]) => Promise<Map<K, V>>,
    private readonly maxInFlight: number,
    private readonly maxBatch: number,
  ) {
    if (maxInFlight < 1 || maxBatch < 1) throw new Error('BatchedLookup needs maxInFlight >= 1 and maxBatch >= 1');
  }

  /** The value for `key`, or undefined when the fetch did not return it. */
  load(key: K): Promise<V | undefined> {
    return new Promise<V | undefined>((resolve, reject) => {
      const settles = this.waiting.get(key);
      if (settles) settles.push({ resolve, reject });
      else this.waiting.set(key, [{ resolve, reject }]);
      this.dispatch();
    });
  }

  /** Keys queued behind the running statements (for tests and metrics). */
  get queued(): number {
    return this.waiting.size;
  }

  private dispatch(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.size > 0) {
      const batch = new Map<K, Array<Settle<V>>>();
      for (const [key, settles] of this.waiting) {
        batch.set(key, settles);
        this.waiting.delete(key);
        if (batch.size >= this.maxBatch) break;
      }
      this.inFlight += 1;
      this.run(batch);
    }
  }

  private run(batch: Map<K, Array<Settle<V>>>): void {
    let fetched: Promise<Map<K, V>>;
    try {
      fetched = this.fetch([...batch.keys()]);
    } catch (error) {
      fetched = Promise.reject(error);
    }
    fetched.then(
      (found) => {
        this.inFlight -= 1;
        for (const [key, settles] of batch) {
          const value = found.get(key);
          for (const settle of settles) settle.resolve(value);
        }
        this.dispatch();
      },
      (error: unknown) => {
        this.inFlight -= 1;
        for (const settles of batch.values()) for (const settle of settles) settle.reject(error);
        this.dispatch();
      },
    );
  }
}

interface Settle<V> {
  resolve(value: V | undefined): void;
  reject(error: unknown): void;
}
