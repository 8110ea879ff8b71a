import type { ResolutionOutcome } from '../events/node-events';
import type { ResolutionCache } from '../resolution/resolution-cache';

/** A whole reply packet (envelope + message) for one request spelling of one record. */
export interface ReplyTemplate {
  /** The handle's bytes exactly as requested (two spellings never share a reply: it echoes the spelling). */
  key: Buffer;
  hash: number;
  /** The next template whose key has the same hash. */
  next: ReplyTemplate | undefined;
  handleKey: string;
  prefixKey: string;
  outcome: ResolutionOutcome;
  /** The record holds values that are not public: a request without PO is answered the long way. */
  hasPrivateValues: boolean;
  /** The record is another node's: a request that neither asks for recursion nor refuses referrals is answered the long way (it may be referred). */
  foreign: boolean;
  /** Epoch ms after which the record may no longer be served from memory (its TTL, as in L1). */
  expiresAt: number;
  /** ResolutionCache.invalidationSequence when the lookup that built it started. */
  sequence: number;
  packet: Buffer;
  /** Replies sent from it not yet reported to the statistics, and their seconds from request to reply. */
  unreported: number;
  unreportedSeconds: number;
}

/**
 * FNV-1a-style hash of `bytes[start, start + length)`, four bytes a step, folded to a small integer
 * (a Map key V8 hashes cheaply). Int32 arithmetic throughout (a seed above 2^31 would make V8 keep
 * it as a double: three times slower).
 */
export function hashHandleBytes(bytes: Uint8Array, start: number, length: number): number {
  let hash = length ^ -2128831035;
  let i = start;
  const end = start + length;
  for (const words = end - 3; i < words; i += 4) hash = Math.imul(hash ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)), 16777619);
  for (; i < end; i += 1) hash = Math.imul(hash ^ bytes[i], 16777619);
  return (hash ^ (hash >>> 15)) & 0x3fffffff;
}

/**
 * Templates kept per hash value at most. The hash is not keyed, so someone could make up many
 * not-found spellings with one hash; a longer chain would make every lookup of that hash walk it.
 * Beyond the cap a new template is simply not kept (its requests are answered the long way).
 */
const MAX_CHAIN = 4;

function sameBytes(key: Buffer, bytes: Uint8Array, start: number, length: number): boolean {
  if (key.length !== length) return false;
  for (let i = 0; i < length; i += 1) if (key[i] !== bytes[start + i]) return false;
  return true;
}

/**
 * Prepared replies keyed by the handle bytes exactly as requested, found from the request's bytes
 * without building a string: a hash over the bytes picks a slot of a fixed table (a plain array,
 * cheaper than a Map), then bytes are compared along the slot's short chain. Kept next to L1 and
 * retired with it: a template is used only while L1 may serve from memory, before its record's TTL
 * runs out, and while no invalidation of its handle (or of everything) happened since the lookup
 * that built it started — checked with one comparison of a sequence number in the usual case where
 * nothing was invalidated since. Bounded: beyond `maxEntries`, the chain of a rotating slot is dropped.
 */
export class ReplyTemplates {
  private readonly slots: Array<ReplyTemplate | undefined>;
  private readonly mask: number;
  private count = 0;
  private evictAt = 0;

  constructor(
    private readonly cache: ResolutionCache,
    private readonly maxEntries: number,
  ) {
    let size = 1024;
    while (size < maxEntries * 2 && size < 1 << 22) size *= 2;
    this.slots = new Array<ReplyTemplate | undefined>(size).fill(undefined);
    this.mask = size - 1;
  }

  /** The template for the handle bytes `bytes[start, start + length)` if it is still current at `now` (epoch ms). */
  current(bytes: Uint8Array, start: number, length: number, now: number): ReplyTemplate | undefined {
    let template = this.slots[hashHandleBytes(bytes, start, length) & this.mask];
    while (template !== undefined && !sameBytes(template.key, bytes, start, length)) template = template.next;
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
    this.remove(template);
    return undefined;
  }

  remember(template: ReplyTemplate): void {
    if (!this.cache.memoryTrusted || template.expiresAt <= Date.now()) return;
    const slot = template.hash & this.mask;
    let existing = this.slots[slot];
    let chain = 0;
    while (existing !== undefined && !sameBytes(existing.key, template.key, 0, template.key.length)) {
      existing = existing.next;
      chain += 1;
    }
    if (existing !== undefined) this.remove(existing);
    else {
      if (chain >= MAX_CHAIN) return;
      if (this.count >= this.maxEntries) this.evictOne(slot);
    }
    template.next = this.slots[slot];
    this.slots[slot] = template;
    this.count += 1;
  }

  get size(): number {
    return this.count;
  }

  private remove(template: ReplyTemplate): void {
    const slot = template.hash & this.mask;
    let before = this.slots[slot];
    if (before === template) this.slots[slot] = template.next;
    else {
      while (before !== undefined && before.next !== template) before = before.next;
      if (before === undefined) return;
      before.next = template.next;
    }
    template.next = undefined;
    this.count -= 1;
  }

  /** Drops the chain of the next non-empty slot after the rotating cursor (not `keep`, the slot being filled). */
  private evictOne(keep: number): void {
    for (let step = 0; step <= this.mask; step += 1) {
      this.evictAt = (this.evictAt + 1) & this.mask;
      if (this.evictAt === keep) continue;
      let template = this.slots[this.evictAt];
      if (template === undefined) continue;
      this.slots[this.evictAt] = undefined;
      for (; template !== undefined; template = template.next) this.count -= 1;
      return;
    }
  }
}
