import type { ResolutionOutcome } from '../events/node-events';
import type { ResolutionCache } from '../resolution/resolution-cache';
import type { CacheEntry } from '../resolution/resolution.types';

/** A whole reply packet (envelope + message) for one request spelling of one record. */
export interface ReplyTemplate {
  /** The cache entry it was built from: valid while L1 still returns this very object. */
  entry: CacheEntry;
  handleKey: string;
  prefixKey: string;
  outcome: ResolutionOutcome;
  /** The record holds values that are not public: a request without PO is answered the long way. */
  hasPrivateValues: boolean;
  packet: Buffer;
}

/**
 * Prepared replies keyed by the handle bytes exactly as requested (latin1 string of the bytes, so
 * two spellings never share a reply — the reply echoes the spelling). An entry is used only while
 * L1 returns the same cache entry it was built from, so an invalidation, a refill or an expiry in
 * L1 retires it without any bookkeeping here. Bounded FIFO.
 */
export class ReplyTemplates {
  private readonly templates = new Map<string, ReplyTemplate>();

  constructor(
    private readonly cache: ResolutionCache,
    private readonly maxEntries: number,
  ) {}

  /** The template for `key` if its record is still the one in L1. */
  current(key: string): ReplyTemplate | undefined {
    const template = this.templates.get(key);
    if (template === undefined) return undefined;
    const live = this.cache.fromMemory(template.handleKey);
    if (live !== undefined && live.entry === template.entry) return template;
    this.templates.delete(key);
    return undefined;
  }

  remember(key: string, template: ReplyTemplate): void {
    if (this.templates.size >= this.maxEntries && !this.templates.has(key)) {
      const oldest = this.templates.keys().next().value as string;
      this.templates.delete(oldest);
    }
    this.templates.set(key, template);
  }

  get size(): number {
    return this.templates.size;
  }
}
