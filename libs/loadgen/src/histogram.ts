/**
 * Latency histograms: HDR histograms (hdr-histogram-js, the plain JavaScript implementation) of
 * microseconds from 1 µs to 10 minutes at 3 significant digits. Workers send theirs to the parent
 * encoded (compressed base64), and the parent adds them: merging is exact, not an average of
 * percentiles.
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

export type { Histogram };

const HIGHEST_US = 600_000_000;

export function newHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, bitBucketSize: 32, useWebAssembly: false, autoResize: false });
}

/** Records a latency given in milliseconds (fractional), clamped into the histogram's range. */
export function recordMs(histogram: Histogram, ms: number): void {
  const us = Math.round(ms * 1000);
  histogram.recordValue(us < 1 ? 1 : us > HIGHEST_US ? HIGHEST_US : us);
}

export function encodeHistogram(histogram: Histogram): string {
  return encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(encoded: string): Histogram {
  const decoded = decodeFromCompressedBase64(encoded, 32, false);
  // Copy into a histogram of the standard range so that every merged histogram is alike.
  const histogram = newHistogram();
  histogram.add(decoded);
  return histogram;
}

/** Adds every encoded histogram into a new one. */
export function mergeEncoded(encoded: Array<string | undefined>): Histogram {
  const merged = newHistogram();
  for (const e of encoded) if (e) merged.add(decodeHistogram(e));
  return merged;
}

export interface LatencySummary {
  count: number;
  /** Milliseconds. */
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

const ms = (us: number) => Math.round(us) / 1000;

export function summarise(histogram: Histogram): LatencySummary {
  if (histogram.totalCount === 0) return { count: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  return {
    count: histogram.totalCount,
    mean: ms(histogram.mean),
    p50: ms(histogram.getValueAtPercentile(50)),
    p90: ms(histogram.getValueAtPercentile(90)),
    p99: ms(histogram.getValueAtPercentile(99)),
    p999: ms(histogram.getValueAtPercentile(99.9)),
    max: ms(histogram.getValueAtPercentile(100)),
  };
}

/** Points of the latency distribution for a chart: [percentile, ms] at 0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100. */
export function percentileCurve(histogram: Histogram): Array<[number, number]> {
  if (histogram.totalCount === 0) return [];
  return [0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100].map((p) => [p, ms(p === 0 ? histogram.minNonZeroValue : histogram.getValueAtPercentile(p))]);
}
