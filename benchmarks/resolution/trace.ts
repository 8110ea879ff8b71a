/**
 * Row (h) offline: the key trace the load runner requests, drawn again with its own key picker, and
 * what an LRU, the offline optimum (Belady) and this repository's W-TinyLFU would hit on it.
 */
import { KeyPicker, type KeysConfig } from '@idis/loadgen';
import { WTinyLfuCache } from '@idis/runtime';

/**
 * The keys of the first `length` requests of a load, in the order the load runner sends them: libs/
 * loadgen's key picker, drawn again with the same configuration (one worker, as the runner runs), so
 * that the trace is the one the node was sent, up to the order in which concurrent connections'
 * requests reach it. Each key as its number in the series, from 0.
 */
export function requestTrace(config: KeysConfig, length: number): Int32Array {
  if (!('series' in config.source)) throw new Error('a request trace needs a key series');
  const { stem, start } = config.source.series;
  const skip = config.prefix.length + 1 + stem.length;
  const picker = new KeyPicker(config, 0);
  const trace = new Int32Array(length);
  for (let i = 0; i < length; i += 1) trace[i] = Number(picker.next().handle.slice(skip)) - start;
  return trace;
}

/**
 * Hits ÷ requests over trace[from..], an LRU of `capacity` entries filled on every miss. A doubly
 * linked list in typed arrays (slot 0 the sentinel) and key → slot in an array over the key space: a
 * JavaScript Map evicted from its front degrades badly (its deleted slots are scanned again).
 */
export function lruHitRatio(trace: Int32Array, capacity: number, from: number, keys: number): number {
  const slotOf = new Int32Array(keys);
  const keyOf = new Int32Array(capacity + 1);
  const prev = new Int32Array(capacity + 1);
  const next = new Int32Array(capacity + 1);
  let used = 0;
  let hits = 0;
  const unlink = (slot: number) => {
    next[prev[slot]] = next[slot];
    prev[next[slot]] = prev[slot];
  };
  const pushMostRecent = (slot: number) => {
    prev[slot] = prev[0];
    next[slot] = 0;
    next[prev[0]] = slot;
    prev[0] = slot;
  };
  for (let i = 0; i < trace.length; i += 1) {
    const key = trace[i];
    let slot = slotOf[key];
    if (slot !== 0) {
      if (i >= from) hits += 1;
      unlink(slot);
    } else if (used < capacity) {
      slot = ++used;
    } else {
      slot = next[0];
      unlink(slot);
      slotOf[keyOf[slot]] = 0;
    }
    slotOf[key] = slot;
    keyOf[slot] = key;
    pushMostRecent(slot);
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
