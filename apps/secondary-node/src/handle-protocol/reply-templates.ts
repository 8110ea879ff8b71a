import type { ResolutionOutcome } from '../events/node-events';
import type { ResolutionCache } from '../resolution/resolution-cache';

/** A whole reply packet (envelope + message) for one request spelling of one record. */
export interface ReplyTemplate {
  handleKey: string;
  prefixKey: string;
  outcome: ResolutionOutcome;
  /** The record holds values that are not public: a request without PO is answered the long way. */
  hasPrivateValues: boolean;
  /** Epoch ms after which the record may no longer be served from memory (its TTL, as in L1). */
  expiresAt: number;
  /** ResolutionCache.invalidationSequence when the lookup that built it started. */
  sequence: number;
  packet: Buffer;
}

/**
 * Prepared replies keyed by the handle bytes exactly as requested (latin1 string of the bytes, so
 * two spellings never share a reply — the reply echoes the spelling). Kept next to L1 and retired
 * with it: a template is used only while L1 may serve from memory, before its record's TTL runs
 * out, and while no invalidation of its handle (or of everything) happened since the lookup that
 * built it started — checked with one comparison of a sequence number in the usual case where
 * nothing was invalidated since. Bounded FIFO.
 */
export class ReplyTemplates {
  private readonly templates = new Map<string, ReplyTemplate>();

  constructor(
    private readonly cache: ResolutionCache,
    private readonly maxEntries: number,
  ) {}

  /** The template for `key` if it is still current at `now` (epoch ms). */
  current(key: string, now: number): ReplyTemplate | undefined {
    const template = this.templates.get(key);
    if (template === undefined) return undefined;
    const cache = this.cache;
    if (now < template.expiresAt && cache.memoryTrusted) {
      const sequence = cache.invalidationSequence;
      if (template.sequence === sequence) return template;
      if (!cache.changedSince(template.handleKey, template.sequence)) {
        template.sequence = sequence;
        return template;
      }
    }
    this.templates.delete(key);
    return undefined;
  }

  remember(key: string, template: ReplyTemplate): void {
    if (!this.cache.memoryTrusted || template.expiresAt <= Date.now()) return;
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
