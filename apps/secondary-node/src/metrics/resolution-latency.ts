import { Injectable } from '@nestjs/common';
import { RESOLUTION_OUTCOMES, RESOLUTION_SLOT, type ResolutionOutcome } from '../statistics/usage-kinds';

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

  observe(outcome: ResolutionOutcome, seconds: number): void {
    const tier = RESOLUTION_SLOT[outcome];
    const value = seconds >= 0 ? seconds : 0;
    let bucket = 0;
    while (bucket < BUCKETS && value > BOUNDS[bucket]) bucket += 1;
    this.buckets[tier * ROW + bucket] += 1;
    this.counts[tier] += 1;
    this.sums[tier] += value;
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
