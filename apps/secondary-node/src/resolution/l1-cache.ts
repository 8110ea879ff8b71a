import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { RESOLUTION_CONFIG, type ResolutionConfig } from './resolution.config';
import type { CacheEntry, Resolution } from './resolution.types';

interface L1Slot {
  /** Built once at fill, so a hit allocates nothing. */
  hit: Resolution;
  /** performance.now() at fill: lets a detached process drop entries older than the detached TTL. */
  storedAt: number;
  size: number;
}

/**
 * The in-process tier: an LRU bounded by entry count AND by bytes (the serialised size of each
 * entry, an approximation of its heap footprint), each entry with its own TTL.
 */
@Injectable()
export class L1Cache {
  readonly enabled: boolean;
  readonly maxEntries: number;
  readonly maxBytes: number;
  private readonly lru: LRUCache<string, L1Slot> | undefined;
  /** Set while the invalidation channel is down: entries older than this are not served. */
  private maxAgeMs: number | undefined;

  constructor(@Inject(RESOLUTION_CONFIG) config: ResolutionConfig) {
    this.enabled = config.l1Enabled;
    this.maxEntries = config.l1MaxEntries;
    this.maxBytes = config.l1MaxBytes;
    this.lru = this.enabled
      ? new LRUCache<string, L1Slot>({
          max: this.maxEntries,
          maxSize: this.maxBytes,
          sizeCalculation: (slot) => slot.size,
          // Expired entries go on read or when the LRU needs room; no timer walks the cache.
          ttlAutopurge: false,
          updateAgeOnGet: false,
          allowStale: false,
        })
      : undefined;
  }

  get(handleKey: string): Resolution | undefined {
    const slot = this.lru?.get(handleKey);
    if (slot === undefined) return undefined;
    if (this.maxAgeMs !== undefined && performance.now() - slot.storedAt >= this.maxAgeMs) {
      this.lru!.delete(handleKey);
      return undefined;
    }
    return slot.hit;
  }

  /** Stores `entry` for `ttlMs` (shortened to the detached limit while detached); nothing for ttlMs ≤ 0. */
  set(entry: CacheEntry, serialisedLength: number, ttlMs: number): void {
    if (!this.lru) return;
    const ttl = Math.floor(this.maxAgeMs === undefined ? ttlMs : Math.min(ttlMs, this.maxAgeMs));
    if (ttl <= 0) return;
    const slot: L1Slot = { hit: { entry, tier: 'l1' }, storedAt: performance.now(), size: Math.max(1, serialisedLength) };
    this.lru.set(entry.handleKey, slot, { ttl, size: slot.size });
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
    return this.lru?.calculatedSize ?? 0;
  }
}
