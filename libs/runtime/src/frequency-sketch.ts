/**
 * The frequency estimator of TinyLFU (Einziger, Friedman, Manes: "TinyLFU: A Highly Efficient Cache
 * Admission Policy", 2017), laid out as in Caffeine: a count-min sketch of 4-bit counters, eight to a
 * 32-bit word, four counters per key in one shared table, reset ("aging") by halving every counter
 * once the number of increments reaches a sample of ten times the cache's capacity, so that what was
 * popular long ago fades.
 *
 * Keys are given as well-mixed 32-bit hashes (see `hashString`): the cache computes a key's hash once when it
 * stores the entry and reuses it on every hit, so that a hit hashes nothing.
 */
export class FrequencySketch {
  /** 8 counters of 4 bits per word. */
  private readonly table: Uint32Array;
  private readonly counterMask: number;
  /** Increments since the last reset (an increment of a saturated key counts nothing). */
  private additions = 0;
  readonly sampleSize: number;
  /** How many times the counters have been halved (for tests and diagnostics). */
  resets = 0;

  /** `capacity`: the number of entries the cache holds at most (the sketch gets ≥ 8 counters per entry). */
  constructor(capacity: number) {
    if (!Number.isFinite(capacity) || capacity < 1) throw new Error('FrequencySketch needs a capacity >= 1');
    // One word (8 counters) per entry, rounded up to a power of two; at most 2^24 words (64 MiB).
    const words = Math.min(2 ** 24, nextPowerOfTwo(Math.max(16, Math.ceil(capacity))));
    this.table = new Uint32Array(words);
    this.counterMask = words * 8 - 1;
    this.sampleSize = Math.max(10, 10 * Math.ceil(capacity));
  }

  /** The estimated number of times `hash` was counted since the last halvings, 0..15. */
  frequency(hash: number): number {
    // Four counters by double hashing; `hash` is already mixed (hashString), so h2 costs one multiply.
    // Its low bits (which pick the counters) come from the hash's high bits, independent of h1's.
    const h2 = Math.imul((hash >>> 16) | (hash << 16), 0x9e3779b1) | 1;
    let min = 15;
    for (let i = 0; i < 4; i += 1) {
      const index = (hash + Math.imul(i, h2)) & this.counterMask;
      const count = (this.table[index >>> 3] >>> ((index & 7) << 2)) & 0xf;
      if (count < min) min = count;
    }
    return min;
  }

  /** Counts one occurrence of `hash`; halves every counter when the sample is full. */
  increment(hash: number): void {
    const h2 = Math.imul((hash >>> 16) | (hash << 16), 0x9e3779b1) | 1;
    const table = this.table;
    let added = false;
    for (let i = 0; i < 4; i += 1) {
      const index = (hash + Math.imul(i, h2)) & this.counterMask;
      const word = index >>> 3;
      const shift = (index & 7) << 2;
      if (((table[word] >>> shift) & 0xf) !== 0xf) {
        table[word] += 1 << shift;
        added = true;
      }
    }
    if (added && ++this.additions >= this.sampleSize) this.reset();
  }

  /** Halves every counter (all eight of a word in one shift-and-mask). */
  reset(): void {
    const table = this.table;
    for (let i = 0; i < table.length; i += 1) table[i] = (table[i] >>> 1) & 0x77777777;
    this.additions = this.additions >>> 1;
    this.resets += 1;
  }
}

/** A 32-bit FNV-1a hash of a string's UTF-16 code units, finished with a mixer: the sketch's key. */
export function hashString(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i += 1) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return mix(h);
}

/** MurmurHash3's 32-bit finaliser: spreads every input bit over the whole word. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function nextPowerOfTwo(n: number): number {
  return 2 ** Math.ceil(Math.log2(n));
}
