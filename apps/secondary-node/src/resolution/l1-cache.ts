import { Inject, Injectable } from '@nestjs/common';
import { WTinyLfuCache } from '@idis/runtime';
import { l1EntryWeight } from './l1-weight';
import { RESOLUTION_CONFIG, type ResolutionConfig } from './resolution.config';
import type { CacheEntry, Resolution } from './resolution.types';

/**
 * The in-process tier: W-TinyLFU (a 1 % LRU window, a segmented LRU main region and a frequency
 * sketch deciding admission, as in Caffeine; see WTinyLfuCache) bounded by entry count AND by bytes
 * (an estimate of each entry's heap footprint, see l1-weight.ts), each entry with its
 * own TTL. On skewed traffic it keeps the popular records that an LRU lets the long tail push out.
 */
@Injectable()
export class L1Cache {
  readonly enabled: boolean;
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** Values are built once at fill, so a hit allocates nothing. */
  private readonly lru: WTinyLfuCache<Resolution> | undefined;
  /** Set while the invalidation channel is down: entries older than this are not served. */
  private maxAgeMs: number | undefined;

  constructor(@Inject(RESOLUTION_CONFIG) config: ResolutionConfig) {
    this.enabled = config.l1Enabled;
    this.maxEntries = config.l1MaxEntries;
    this.maxBytes = config.l1MaxBytes;
    // Expired entries go on read or when eviction reaches them; no timer walks the cache.
    this.lru = this.enabled ? new WTinyLfuCache<Resolution>({ maxEntries: this.maxEntries, maxBytes: this.maxBytes }) : undefined;
  }

  get(handleKey: string): Resolution | undefined {
    if (this.lru === undefined) return undefined;
    // While detached, entries stored more than maxAgeMs ago are dropped on read.
    return this.maxAgeMs === undefined ? this.lru.get(handleKey) : this.lru.get(handleKey, performance.now() - this.maxAgeMs);
  }

  /**
   * Stores `entry` for `ttlMs` (shortened to the detached limit while detached); nothing for ttlMs ≤ 0.
   * It weighs its estimated heap footprint (l1EntryWeight) against the byte bound.
   */
  set(entry: CacheEntry, ttlMs: number): void {
    if (!this.lru) return;
    const ttl = Math.floor(this.maxAgeMs === undefined ? ttlMs : Math.min(ttlMs, this.maxAgeMs));
    if (ttl <= 0) return;
    this.lru.set(entry.handleKey, { entry, tier: 'l1' }, l1EntryWeight(entry), ttl);
  }

  delete(handleKey: string): void {
    this.lru?.delete(handleKey);
  }

  clear(): void {
    this.lru?.clear();
  }

  /**
   * Limits how long any entry is served, including entries filled before the limit was set
   * (checked on read). `undefined` lifts the limit.
   */
  limitAge(maxAgeMs: number | undefined): void {
    this.maxAgeMs = maxAgeMs;
  }

  /** Whether entries are currently served only up to an age limit (the invalidation channel is down). */
  get ageLimited(): boolean {
    return this.maxAgeMs !== undefined;
  }

  get size(): number {
    return this.lru?.size ?? 0;
  }

  get bytes(): number {
    return this.lru?.bytes ?? 0;
  }
}
