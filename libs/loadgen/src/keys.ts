/**
 * Which identifier each request asks for. Keys are a series (prefix/stem + zero-padded number, as
 * `seed` registers them) or an explicit list; a distribution picks among them:
 *   uniform   every key equally likely;
 *   zipf      rank k with probability ∝ 1/k^s, ranks scattered over the keys by a seeded shuffle;
 *   hot-set   a share of the traffic (hotTraffic) goes uniformly to a share of the keys (hotKeys);
 *   cycle     round robin (the benchmarks' working sets).
 * An `unknownShare` of the requests asks for identifiers that do not exist (the node must say 404).
 */
import { seededRandom } from '@idis/runtime';
export type Distribution = { kind: 'uniform' } | { kind: 'zipf'; s: number } | { kind: 'hot-set'; hotKeys: number; hotTraffic: number } | { kind: 'cycle' };

export type KeySource = { list: string[] } | { series: { stem: string; pad: number; start: number; count: number } };

export interface KeysConfig {
  /** The prefix the keys live under, e.g. 88.118.8 (a handle is prefix/suffix). */
  prefix: string;
  source: KeySource;
  distribution: Distribution;
  /** 0..1: share of requests for identifiers that do not exist. */
  unknownShare?: number;
  /** Every key of the source is one that does not exist (a not-found workload). */
  allUnknown?: boolean;
  /** Seeds the key order (which keys a distribution makes popular) and, unless drawSeed is given, the draws. */
  seed?: number;
  /**
   * Seeds the draws only: two runs with one seed and different draw seeds ask for the same popular
   * keys in different sequences (a warm-up and the measured run after it).
   */
  drawSeed?: number;
}

export interface PickedKey {
  handle: string;
  /** False for the unknown share: the answer must be "not found". */
  known: boolean;
}

/** A small, fast, seeded PRNG (mulberry32), shared with the trace replays: uniform in [0, 1). */
export { seededRandom };

export function seriesSuffix(stem: string, pad: number, n: number): string {
  return stem + String(n).padStart(pad, '0');
}

function suffixOf(source: KeySource): { count: number; suffix: (i: number) => string } {
  if ('list' in source) {
    const list = source.list;
    if (list.length === 0) throw new Error('the key list is empty');
    return { count: list.length, suffix: (i) => list[i] };
  }
  const { stem, pad, start, count } = source.series;
  if (!(count > 0)) throw new Error('the key series needs a positive count');
  return { count, suffix: (i) => seriesSuffix(stem, pad, start + i) };
}

/**
 * A Zipf sampler over ranks 0..n-1 (rank 0 most frequent): the cumulative distribution and a binary
 * search, O(log n) per draw, exact for any exponent s > 0.
 */
export function zipfSampler(n: number, s: number, random: () => number): () => number {
  if (!(n > 0) || !(s > 0)) throw new Error('Zipf needs n > 0 and s > 0');
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k += 1) {
    sum += 1 / Math.pow(k + 1, s);
    cdf[k] = sum;
  }
  for (let k = 0; k < n; k += 1) cdf[k] /= sum;
  return () => {
    const u = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** A seeded permutation of 0..n-1 (Fisher–Yates), so that hot ranks are not neighbours in the index. */
export function shuffled(n: number, random: () => number): Uint32Array {
  const order = new Uint32Array(n);
  for (let k = 0; k < n; k += 1) order[k] = k;
  for (let k = n - 1; k > 0; k -= 1) {
    const j = Math.floor(random() * (k + 1));
    const t = order[k];
    order[k] = order[j];
    order[j] = t;
  }
  return order;
}

/** Returns a function giving the index (0..count-1) of the next key. */
export function indexPicker(count: number, distribution: Distribution, random: () => number): () => number {
  switch (distribution.kind) {
    case 'uniform':
      return () => Math.floor(random() * count);
    case 'cycle': {
      let next = 0;
      return () => {
        const i = next;
        next = next + 1 === count ? 0 : next + 1;
        return i;
      };
    }
    case 'zipf': {
      const rank = zipfSampler(count, distribution.s, random);
      const order = shuffled(count, random);
      return () => order[rank()];
    }
    case 'hot-set': {
      const hot = Math.max(1, Math.min(count, Math.round(count * distribution.hotKeys)));
      const order = shuffled(count, random);
      return () => (random() < distribution.hotTraffic ? order[Math.floor(random() * hot)] : order[hot + Math.floor(random() * (count - hot))] ?? order[Math.floor(random() * hot)]);
    }
  }
}

export class KeyPicker {
  private readonly random: () => number;
  private readonly index: () => number;
  private readonly suffix: (i: number) => string;
  private readonly unknownShare: number;
  private unknownCounter = 0;
  private readonly unknownStem: string;

  constructor(private readonly config: KeysConfig, workerIndex = 0) {
    this.random = seededRandom((config.drawSeed ?? config.seed ?? 1) * 7919 + workerIndex * 104_729 + 1);
    const { count, suffix } = suffixOf(config.source);
    this.suffix = suffix;
    // The rank-to-key order (the shuffle built now) is the same in every worker, seeded by the
    // scenario; the draws afterwards come from this worker's own stream.
    let source = seededRandom(config.seed ?? 1);
    this.index = indexPicker(count, config.distribution, () => source());
    source = this.random;
    this.unknownShare = config.unknownShare ?? 0;
    this.unknownStem = `LT-UNKNOWN-${workerIndex}-`;
  }

  next(): PickedKey {
    if (this.unknownShare > 0 && this.random() < this.unknownShare) {
      this.unknownCounter += 1;
      return { handle: `${this.config.prefix}/${this.unknownStem}${this.unknownCounter}`, known: false };
    }
    return { handle: `${this.config.prefix}/${this.suffix(this.index())}`, known: this.config.allUnknown !== true };
  }
}
