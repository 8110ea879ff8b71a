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
  /** One waiter as itself, several in an array: most keys have one, and the array would be garbage per lookup. */
  private waiting = new Map<K, Waiters<V>>();
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
      const waiters = this.waiting.get(key);
      if (waiters === undefined) this.waiting.set(key, { resolve, reject });
      else if (Array.isArray(waiters)) waiters.push({ resolve, reject });
      else this.waiting.set(key, [waiters, { resolve, reject }]);
      this.dispatch();
    });
  }

  /** Keys queued behind the running statements (for tests and metrics). */
  get queued(): number {
    return this.waiting.size;
  }

  private dispatch(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.size > 0) {
      const batch = new Map<K, Waiters<V>>();
      for (const [key, waiters] of this.waiting) {
        batch.set(key, waiters);
        this.waiting.delete(key);
        if (batch.size >= this.maxBatch) break;
      }
      this.inFlight += 1;
      this.run(batch);
    }
  }

  private run(batch: Map<K, Waiters<V>>): void {
    let fetched: Promise<Map<K, V>>;
    try {
      fetched = this.fetch([...batch.keys()]);
    } catch (error) {
      fetched = Promise.reject(error);
    }
    fetched.then(
      (found) => {
        this.inFlight -= 1;
        for (const [key, waiters] of batch) {
          const value = found.get(key);
          if (Array.isArray(waiters)) for (const waiter of waiters) waiter.resolve(value);
          else waiters.resolve(value);
        }
        this.dispatch();
      },
      (error: unknown) => {
        this.inFlight -= 1;
        for (const waiters of batch.values()) {
          if (Array.isArray(waiters)) for (const waiter of waiters) waiter.reject(error);
          else waiters.reject(error);
        }
        this.dispatch();
      },
    );
  }
}

interface Settle<V> {
  resolve(value: V | undefined): void;
  reject(error: unknown): void;
}

type Waiters<V> = Settle<V> | Array<Settle<V>>;
