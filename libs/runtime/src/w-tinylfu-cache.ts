import { FrequencySketch, hashString } from './frequency-sketch';

/**
 * A cache bounded by bytes and by entries, with a TTL per entry, evicting by W-TinyLFU as Caffeine
 * does (Einziger, Eytan, Friedman, Manes: "Adaptive Software Cache Management", 2018):
 *
 * - a small admission **window** (1 % of the budget), plain LRU, where every new entry starts;
 * - the **main** region (the other 99 %), a segmented LRU: **probation** (20 %) for entries that came
 *   from the window, **protected** (80 %) for entries read again while on probation;
 * - a **frequency sketch** (4-bit count-min, halved every 10 × capacity increments) counting every read,
 *   hit or miss. When the window overflows, its least recent entry (the candidate) must beat the
 *   least recent entry of probation (the victim) on estimated frequency to enter main; the loser is
 *   evicted. So a one-off read of a long-tail key cannot push a popular key out, as it would in LRU.
 *
 * Written here rather than taken from npm: in December 2026 the registry had no maintained W-TinyLFU
 * for Node.js that bounds by a byte weight and has a per-entry TTL (lru-cache, tiny-lru, mnemonist:
 * LRU or plain LFU only; `tiny-lfu-cache`, `lfu-cache`: count-bounded LFU, unmaintained). It is small,
 * pure and unit-tested (w-tinylfu-cache.spec.ts, including a Zipf trace against LRU).
 *
 * The read path allocates nothing and returns no promise: one Map lookup, a clock comparison, four
 * counter increments with the hash stored in the entry, and a few pointer moves. Expired entries go
 * when read, or when eviction reaches them; no timer walks the cache. Not safe for concurrent use
 * from several threads (a Node.js process reads it from one).
 *
 * The doorkeeper (a Bloom filter in front of the sketch) is left out: it saves sketch memory for
 * huge key spaces, not hit ratio, and the sketch here costs 4 bytes per entry of capacity.
 */
export class WTinyLfuCache<V> {
  readonly maxEntries: number;
  readonly maxBytes: number;
  private readonly windowMaxEntries: number;
  private readonly windowMaxBytes: number;
  private readonly mainMaxEntries: number;
  private readonly mainMaxBytes: number;
  private readonly protectedMaxEntries: number;
  private readonly protectedMaxBytes: number;
  private readonly now: () => number;
  private readonly map = new Map<string, Entry<V>>();
  readonly sketch: FrequencySketch;
  /** Circular lists, each with a sentinel; `next` runs from least to most recent. */
  private readonly window = sentinel<V>();
  private readonly probation = sentinel<V>();
  private readonly protect = sentinel<V>();
  private readonly counts = [0, 0, 0];
  private readonly weights = [0, 0, 0];
  private totalBytes = 0;
  /** xorshift state for the random admission of warm candidates (see `admit`). */
  private seed = 0x2545f491;

  constructor(options: WTinyLfuOptions) {
    const { maxEntries, maxBytes } = options;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error('WTinyLfuCache: maxEntries must be an integer >= 1');
    if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new Error('WTinyLfuCache: maxBytes must be an integer >= 1');
    const windowShare = options.windowShare ?? 0.01;
    const protectedShare = options.protectedShare ?? 0.8;
    if (!(windowShare > 0 && windowShare < 1) || !(protectedShare >= 0 && protectedShare < 1)) throw new Error('WTinyLfuCache: shares must be in (0, 1)');
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
    this.windowMaxEntries = Math.max(1, Math.floor(maxEntries * windowShare));
    this.windowMaxBytes = Math.max(1, Math.floor(maxBytes * windowShare));
    this.mainMaxEntries = maxEntries - Math.min(this.windowMaxEntries, maxEntries);
    this.mainMaxBytes = maxBytes - Math.min(this.windowMaxBytes, maxBytes);
    this.protectedMaxEntries = Math.floor(this.mainMaxEntries * protectedShare);
    this.protectedMaxBytes = Math.floor(this.mainMaxBytes * protectedShare);
    this.now = options.now ?? coarseNow;
    this.sketch = new FrequencySketch(options.sketchCapacity ?? maxEntries);
  }

  /**
   * The value for `key` if present, not expired and stored after `storedAfter` (a `now()` time,
   * exclusive); otherwise undefined, and an expired or too old entry is dropped. Counts the read in the
   * frequency sketch, hit or miss.
   */
  get(key: string, storedAfter?: number): V | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) {
      this.sketch.increment(hashString(key));
      return undefined;
    }
    this.sketch.increment(entry.hash);
    const now = this.now();
    if (now >= entry.expiresAt || (storedAfter !== undefined && entry.storedAt <= storedAfter)) {
      this.remove(entry);
      return undefined;
    }
    this.onHit(entry);
    return entry.value;
  }

  /** Whether `key` is present and not expired (no side effect: no count, no reordering, no removal). */
  has(key: string): boolean {
    const entry = this.map.get(key);
    return entry !== undefined && this.now() < entry.expiresAt;
  }

  /**
   * Stores `value` weighing `bytes` for `ttlMs` (> 0), then evicts down to the bounds. An entry that
   * alone exceeds `maxBytes` is not stored (and any older value of the key is dropped).
   */
  set(key: string, value: V, bytes: number, ttlMs: number): void {
    const weight = Math.max(1, Math.ceil(bytes));
    const existing = this.map.get(key);
    if (!(ttlMs > 0) || weight > this.maxBytes) {
      if (existing) this.remove(existing);
      return;
    }
    const now = this.now();
    if (existing) {
      existing.value = value;
      existing.storedAt = now;
      existing.expiresAt = now + ttlMs;
      this.weights[existing.region as Region] += weight - existing.bytes;
      this.totalBytes += weight - existing.bytes;
      existing.bytes = weight;
      this.onHit(existing);
    } else {
      const entry: Entry<V> = { key, value, hash: hashString(key), bytes: weight, storedAt: now, expiresAt: now + ttlMs, region: WINDOW, prev: undefined!, next: undefined! };
      this.map.set(key, entry);
      this.link(entry, WINDOW);
      this.totalBytes += weight;
    }
    this.evict();
  }

  delete(key: string): boolean {
    const entry = this.map.get(key);
    if (entry === undefined) return false;
    this.remove(entry);
    return true;
  }

  /** Drops every entry; the frequency history stays (it describes keys, not values). */
  clear(): void {
    this.map.clear();
    for (const head of [this.window, this.probation, this.protect]) head.next = head.prev = head;
    this.counts.fill(0);
    this.weights.fill(0);
    this.totalBytes = 0;
  }

  get size(): number {
    return this.map.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Entries and bytes per region, for tests and diagnostics. */
  regions(): Record<'window' | 'probation' | 'protected', { entries: number; bytes: number }> {
    return {
      window: { entries: this.counts[WINDOW], bytes: this.weights[WINDOW] },
      probation: { entries: this.counts[PROBATION], bytes: this.weights[PROBATION] },
      protected: { entries: this.counts[PROTECTED], bytes: this.weights[PROTECTED] },
    };
  }

  /** The region `key` is in (for tests), or undefined. */
  regionOf(key: string): 'window' | 'probation' | 'protected' | undefined {
    const entry = this.map.get(key);
    return entry === undefined ? undefined : REGION_NAMES[entry.region as Region];
  }

  private onHit(entry: Entry<V>): void {
    if (entry.region === PROBATION) {
      // Read again while on probation: promoted, and protected's least recent fall back to probation.
      this.unlink(entry);
      this.link(entry, PROTECTED);
      while (
        (this.weights[PROTECTED] > this.protectedMaxBytes || this.counts[PROTECTED] > this.protectedMaxEntries) &&
        this.protect.next !== entry
      ) {
        const demoted = this.protect.next;
        this.unlink(demoted);
        this.link(demoted, PROBATION);
      }
    } else if (entry.next.region !== SENTINEL) {
      // Most recent in its region: moved to the end of its list (the region's totals do not change).
      entry.prev.next = entry.next;
      entry.next.prev = entry.prev;
      const head = entry.region === WINDOW ? this.window : this.protect;
      entry.prev = head.prev;
      entry.next = head;
      head.prev.next = entry;
      head.prev = entry;
    }
  }

  /** The window's overflow competes for main; then main (and, at worst, the window) is trimmed to the bounds. */
  private evict(): void {
    while (
      (this.weights[WINDOW] > this.windowMaxBytes || this.counts[WINDOW] > this.windowMaxEntries) &&
      this.window.next !== this.window
    ) {
      const candidate = this.window.next;
      this.unlink(candidate);
      this.link(candidate, PROBATION);
      this.admitToMain(candidate);
    }
    // Updates that grew an entry, or a window holding more than its share: least recent first.
    while (this.totalBytes > this.maxBytes || this.map.size > this.maxEntries) {
      const victim = this.probation.next !== this.probation ? this.probation.next : this.protect.next !== this.protect ? this.protect.next : this.window.next;
      if (victim === this.window) break;
      this.remove(victim);
    }
  }

  /** `candidate` has just joined probation's most recent end: evict victims it beats until main fits, or evict it. */
  private admitToMain(candidate: Entry<V>): void {
    while (this.mainOverBudget()) {
      if (candidate.bytes > this.mainMaxBytes) return this.remove(candidate);
      const victim = this.probation.next !== candidate ? this.probation.next : this.protect.next;
      if (victim === this.protect) return this.remove(candidate);
      if (this.admit(candidate.hash, victim.hash)) this.remove(victim);
      else return this.remove(candidate);
    }
  }

  private mainOverBudget(): boolean {
    return (
      this.weights[PROBATION] + this.weights[PROTECTED] > this.mainMaxBytes ||
      this.counts[PROBATION] + this.counts[PROTECTED] > this.mainMaxEntries
    );
  }

  /**
   * TinyLFU's rule: the candidate enters if it was read more often than the victim. As in Caffeine, a
   * warm candidate (frequency > 5) that does not beat the victim still gets in with probability 1/128,
   * so that an attacker cannot keep a hot victim in place by colliding with it in the sketch.
   */
  private admit(candidateHash: number, victimHash: number): boolean {
    const candidateFrequency = this.sketch.frequency(candidateHash);
    const victimFrequency = this.sketch.frequency(victimHash);
    if (candidateFrequency > victimFrequency) return true;
    if (candidateFrequency <= 5) return false;
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x;
    return (x & 127) === 0;
  }

  private remove(entry: Entry<V>): void {
    this.map.delete(entry.key);
    this.unlink(entry);
    this.totalBytes -= entry.bytes;
  }

  private link(entry: Entry<V>, region: Region): void {
    const head = region === WINDOW ? this.window : region === PROBATION ? this.probation : this.protect;
    entry.region = region;
    entry.prev = head.prev;
    entry.next = head;
    head.prev.next = entry;
    head.prev = entry;
    this.counts[region] += 1;
    this.weights[region] += entry.bytes;
  }

  private unlink(entry: Entry<V>): void {
    entry.prev.next = entry.next;
    entry.next.prev = entry.prev;
    this.counts[entry.region as Region] -= 1;
    this.weights[entry.region as Region] -= entry.bytes;
  }
}

export interface WTinyLfuOptions {
  maxEntries: number;
  /** Bound on the sum of the entries' `bytes` as given to set(). */
  maxBytes: number;
  /** Share of both bounds for the admission window (default 0.01). */
  windowShare?: number;
  /** Share of the main region for protected entries (default 0.8). */
  protectedShare?: number;
  /** Entries the frequency sketch is sized for (default maxEntries). */
  sketchCapacity?: number;
  /** Milliseconds, monotonic (default performance.now, read at most once per millisecond: see coarseNow). */
  now?: () => number;
}

type Region = 0 | 1 | 2;
const WINDOW: Region = 0;
const PROBATION: Region = 1;
const PROTECTED: Region = 2;
/** The region of the lists' sentinels (never counted). */
const SENTINEL = 3 as const;
const REGION_NAMES = ['window', 'probation', 'protected'] as const;

interface Entry<V> {
  key: string;
  value: V;
  hash: number;
  bytes: number;
  storedAt: number;
  expiresAt: number;
  region: Region | typeof SENTINEL;
  prev: Entry<V>;
  next: Entry<V>;
}

function sentinel<V>(): Entry<V> {
  const head = { key: '', value: undefined, hash: 0, bytes: 0, storedAt: 0, expiresAt: 0, region: SENTINEL, prev: undefined, next: undefined } as unknown as Entry<V>;
  head.prev = head.next = head;
  return head;
}

let cachedNow = 0;
const forgetNow = () => {
  cachedNow = 0;
};

/**
 * performance.now() read at most once per millisecond (a timer forgets it), as lru-cache does: on a
 * virtual machine a clock read costs 100–200 ns, as much as the rest of a hit. TTLs are checked to
 * within 1 ms.
 */
function coarseNow(): number {
  if (cachedNow === 0) {
    cachedNow = performance.now();
    setTimeout(forgetNow, 1).unref();
  }
  return cachedNow;
}
