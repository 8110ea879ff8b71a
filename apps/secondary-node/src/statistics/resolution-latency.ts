import { Injectable } from '@nestjs/common';
import { RESOLUTION_OUTCOMES, RESOLUTION_SLOT, type ResolutionOutcome } from './usage-kinds';

/** Upper bounds in seconds: an L1 hit takes tens of microseconds, a database lookup about a millisecond. */
export const LATENCY_BUCKETS: readonly number[] = Object.freeze([0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]);

const BOUNDS = Float64Array.from(LATENCY_BUCKETS);
const BUCKETS = BOUNDS.length;
/** Per tier: BUCKETS finite buckets plus one for +Inf. */
const ROW = BUCKETS + 1;

export interface TierLatency {
  tier: ResolutionOutcome;
  /** Cumulative counts per upper bound of LATENCY_BUCKETS (Prometheus `le`). */
  cumulative: number[];
  count: number;
  sum: number;
}

/**
 * Resolution durations by tier, kept in typed arrays: an observation is a short bucket search and
 * three additions, with no allocation (prom-client's Histogram.observe allocates and hashes its
 * labels on every call, about 40 times slower). NodeMetrics exports it as a Prometheus histogram.
 */
@Injectable()
export class ResolutionLatency {
  private readonly buckets = new Float64Array(RESOLUTION_OUTCOMES.length * ROW);
  private readonly counts = new Float64Array(RESOLUTION_OUTCOMES.length);
  private readonly sums = new Float64Array(RESOLUTION_OUTCOMES.length);
  /** Observations are counted from here (this process). */
  readonly since = new Date();

  observe(outcome: ResolutionOutcome, seconds: number): void {
    const tier = RESOLUTION_SLOT[outcome];
    const value = seconds >= 0 ? seconds : 0;
    let bucket = 0;
    while (bucket < BUCKETS && value > BOUNDS[bucket]) bucket += 1;
    this.buckets[tier * ROW + bucket] += 1;
    this.counts[tier] += 1;
    this.sums[tier] += value;
  }

  /** `count` observations whose durations sum to `totalSeconds`, each put in the bucket of their mean (the sum stays exact). */
  observeMany(outcome: ResolutionOutcome, totalSeconds: number, count: number): void {
    if (!(count > 0)) return;
    const tier = RESOLUTION_SLOT[outcome];
    const total = totalSeconds >= 0 ? totalSeconds : 0;
    const mean = total / count;
    let bucket = 0;
    while (bucket < BUCKETS && mean > BOUNDS[bucket]) bucket += 1;
    this.buckets[tier * ROW + bucket] += count;
    this.counts[tier] += count;
    this.sums[tier] += total;
  }

  snapshot(): TierLatency[] {
    return RESOLUTION_OUTCOMES.map((tier) => {
      const slot = RESOLUTION_SLOT[tier];
      const cumulative: number[] = [];
      let running = 0;
      for (let bucket = 0; bucket < BUCKETS; bucket += 1) {
        running += this.buckets[slot * ROW + bucket];
        cumulative.push(running);
      }
      return { tier, cumulative, count: this.counts[slot], sum: this.sums[slot] };
    });
  }
}

/**
 * The q-quantile (0 < q < 1) of every tier together, in seconds, estimated from the buckets as
 * Prometheus' histogram_quantile does: linear within the bucket that holds the rank; a rank in
 * the +Inf bucket gives the largest finite bound. null without observations.
 */
export function latencyQuantile(tiers: readonly TierLatency[], q: number): number | null {
  const cumulative = LATENCY_BUCKETS.map((_, bucket) => tiers.reduce((sum, tier) => sum + tier.cumulative[bucket], 0));
  const total = tiers.reduce((sum, tier) => sum + tier.count, 0);
  if (total === 0) return null;
  const rank = q * total;
  for (let bucket = 0; bucket < LATENCY_BUCKETS.length; bucket += 1) {
    if (cumulative[bucket] >= rank) {
      const below = bucket === 0 ? 0 : cumulative[bucket - 1];
      const lower = bucket === 0 ? 0 : LATENCY_BUCKETS[bucket - 1];
      const inBucket = cumulative[bucket] - below;
      return inBucket === 0 ? LATENCY_BUCKETS[bucket] : lower + (LATENCY_BUCKETS[bucket] - lower) * ((rank - below) / inBucket);
    }
  }
  return LATENCY_BUCKETS[LATENCY_BUCKETS.length - 1];
}

/** What was observed between two snapshots of the same histogram (`earlier` taken first). */
export function latencySince(current: readonly TierLatency[], earlier: readonly TierLatency[]): TierLatency[] {
  return current.map((tier, i) => ({
    tier: tier.tier,
    cumulative: tier.cumulative.map((count, bucket) => count - earlier[i].cumulative[bucket]),
    count: tier.count - earlier[i].count,
    sum: tier.sum - earlier[i].sum,
  }));
}
