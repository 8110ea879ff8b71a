/**
 * Row (h) offline: the key trace the load runner requests, regenerated from its seeds, and what an
 * LRU, the offline optimum (Belady) and this repository's W-TinyLFU would hit on it.
 *
 * The generator is load-runner.js's 'zipf' distribution step for step (the same CDF, the same seeded
 * rank → key shuffle, the same seeded draws), so the trace here is the one the node was sent, up to
 * the order in which concurrent connections' requests reach it.
 */
import { WTinyLfuCache } from '@idis/runtime';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The Zipf key sampler of load-runner.js over keys 0..n-1: build once, draw segments with their own draw seeds. */
export class ZipfKeys {
  private readonly cdf: Float64Array;
  private readonly rankToKey: Uint32Array;

  constructor(
    readonly n: number,
    readonly s: number,
    seed: number,
  ) {
    const cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 0; k < n; k += 1) {
      sum += 1 / Math.pow(k + 1, s);
      cdf[k] = sum;
    }
    for (let k = 0; k < n; k += 1) cdf[k] /= sum;
    const rankToKey = new Uint32Array(n);
    for (let k = 0; k < n; k += 1) rankToKey[k] = k;
    const random = mulberry32(seed);
    for (let k = n - 1; k > 0; k -= 1) {
      const j = Math.floor(random() * (k + 1));
      const t = rankToKey[k];
      rankToKey[k] = rankToKey[j];
      rankToKey[j] = t;
    }
    this.cdf = cdf;
    this.rankToKey = rankToKey;
  }

  /** The first `length` keys drawn with `drawSeed`, written into `into` from `offset`. */
  draw(drawSeed: number, length: number, into: Int32Array, offset = 0): void {
    const cdf = this.cdf;
    const random = mulberry32(drawSeed);
    for (let i = 0; i < length; i += 1) {
      const u = random();
      let lo = 0;
      let hi = this.n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cdf[mid] < u) lo = mid + 1;
        else hi = mid;
      }
      into[offset + i] = this.rankToKey[lo];
    }
  }
}

/** Hits ÷ requests over trace[from..], an LRU of `capacity` entries filled on every miss. */
export function lruHitRatio(trace: Int32Array, capacity: number, from: number): number {
  const lru = new Map<number, true>();
  let hits = 0;
  for (let i = 0; i < trace.length; i += 1) {
    const key = trace[i];
    if (lru.delete(key)) {
      if (i >= from) hits += 1;
    } else if (lru.size >= capacity) {
      lru.delete(lru.keys().next().value as number);
    }
    lru.set(key, true);
  }
  return hits / (trace.length - from);
}

/**
 * Belady's MIN (with bypass): on a miss, keep the key unless every resident key is needed again
 * sooner; evict the resident key whose next use is farthest. The upper bound of any policy that
 * caches `capacity` entries of equal size.
 */
export function beladyHitRatio(trace: Int32Array, capacity: number, from: number, keys: number): number {
  const never = trace.length;
  const nextUse = new Int32Array(trace.length);
  const seen = new Int32Array(keys).fill(never);
  for (let i = trace.length - 1; i >= 0; i -= 1) {
    nextUse[i] = seen[trace[i]];
    seen[trace[i]] = i;
  }
  // Resident keys → their next use; a max-heap of (next use, key) with stale entries skipped.
  const resident = new Map<number, number>();
  const heapUse = new Int32Array(trace.length + capacity + 1);
  const heapKey = new Int32Array(trace.length + capacity + 1);
  let heapSize = 0;
  const push = (use: number, key: number) => {
    let i = heapSize++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heapUse[parent] >= use) break;
      heapUse[i] = heapUse[parent];
      heapKey[i] = heapKey[parent];
      i = parent;
    }
    heapUse[i] = use;
    heapKey[i] = key;
  };
  const pop = () => {
    const lastUse = heapUse[--heapSize];
    const lastKey = heapKey[heapSize];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= heapSize) break;
      if (child + 1 < heapSize && heapUse[child + 1] > heapUse[child]) child += 1;
      if (heapUse[child] <= lastUse) break;
      heapUse[i] = heapUse[child];
      heapKey[i] = heapKey[child];
      i = child;
    }
    heapUse[i] = lastUse;
    heapKey[i] = lastKey;
  };
  let hits = 0;
  for (let i = 0; i < trace.length; i += 1) {
    const key = trace[i];
    const next = nextUse[i];
    if (resident.has(key)) {
      if (i >= from) hits += 1;
      resident.set(key, next);
      push(next, key);
      continue;
    }
    if (next === never) continue;
    if (resident.size < capacity) {
      resident.set(key, next);
      push(next, key);
      continue;
    }
    // Skip stale heap entries (a key re-used since, or evicted).
    while (heapSize > 0 && resident.get(heapKey[0]) !== heapUse[0]) pop();
    if (heapSize > 0 && heapUse[0] > next) {
      resident.delete(heapKey[0]);
      pop();
      resident.set(key, next);
      push(next, key);
    }
  }
  return hits / (trace.length - from);
}

/** The same W-TinyLFU the node's L1 uses, bounded like it (equal weights), read-through on the trace. */
export function tinyLfuHitRatio(trace: Int32Array, maxEntries: number, maxBytes: number, weight: number, from: number, keyOf: (k: number) => string): number {
  const cache = new WTinyLfuCache<true>({ maxEntries, maxBytes });
  let hits = 0;
  for (let i = 0; i < trace.length; i += 1) {
    const key = keyOf(trace[i]);
    if (cache.get(key) !== undefined) {
      if (i >= from) hits += 1;
    } else cache.set(key, true, weight, 86_400_000);
  }
  return hits / (trace.length - from);
}
