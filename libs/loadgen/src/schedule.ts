/**
 * Phases of a run and, for the open loop, the arrival schedule they make: a sequence of segments,
 * each with a rate changing linearly from r0 to r1 over its duration (constant: r0 = r1; ramp:
 * r0 → r1; a step phase expands into constant segments). The n-th request of the run is due at
 * timeOfCount(n): the time where the integral of the rate reaches n. Sends happen at those
 * instants whether or not earlier requests have returned, and latency is measured from them.
 */
export type Phase =
  | { kind: 'warmup'; duration: number; rate?: number }
  | { kind: 'constant'; duration: number; rate?: number }
  | { kind: 'ramp'; duration: number; from: number; to: number }
  | { kind: 'step'; from: number; step: number; every: number; steps: number };

export interface Segment {
  /** Index of the phase it came from, and its kind. */
  phase: number;
  kind: Phase['kind'];
  /** Warm-up segments run but are not measured. */
  measured: boolean;
  /** Seconds from the start of the run. */
  start: number;
  duration: number;
  r0: number;
  r1: number;
  /** Requests due before the segment starts. */
  before: number;
}

/** Expands phases into segments; `rate` is the default rate of warmup/constant phases. */
export function segmentsOf(phases: Phase[], rate: number): Segment[] {
  const segments: Segment[] = [];
  let start = 0;
  let before = 0;
  const push = (phase: number, kind: Phase['kind'], duration: number, r0: number, r1: number) => {
    if (!(duration > 0)) throw new Error(`phase ${phase + 1}: the duration must be positive`);
    if (r0 < 0 || r1 < 0 || !Number.isFinite(r0) || !Number.isFinite(r1)) throw new Error(`phase ${phase + 1}: rates must be non-negative numbers`);
    segments.push({ phase, kind, measured: kind !== 'warmup', start, duration, r0, r1, before });
    start += duration;
    before += ((r0 + r1) / 2) * duration;
  };
  phases.forEach((p, i) => {
    switch (p.kind) {
      case 'warmup':
      case 'constant':
        push(i, p.kind, p.duration, p.rate ?? rate, p.rate ?? rate);
        break;
      case 'ramp':
        push(i, p.kind, p.duration, p.from, p.to);
        break;
      case 'step':
        for (let k = 0; k < p.steps; k += 1) push(i, p.kind, p.every, p.from + k * p.step, p.from + k * p.step);
        break;
    }
  });
  return segments;
}

export function totalDuration(segments: Segment[]): number {
  const last = segments[segments.length - 1];
  return last ? last.start + last.duration : 0;
}

export function totalCount(segments: Segment[]): number {
  const last = segments[segments.length - 1];
  return last ? last.before + ((last.r0 + last.r1) / 2) * last.duration : 0;
}

/** The segment running at time t (seconds), or undefined after the end. */
export function segmentAt(segments: Segment[], t: number): Segment | undefined {
  for (const s of segments) if (t < s.start + s.duration) return s;
  return undefined;
}

/** The rate (requests per second) scheduled at time t. */
export function rateAt(segments: Segment[], t: number): number {
  const s = segmentAt(segments, t);
  if (!s) return 0;
  return s.r0 + ((s.r1 - s.r0) * (t - s.start)) / s.duration;
}

/**
 * Seconds from the start at which the n-th request (0-based) is due, or Infinity when the schedule
 * ends before it. The first request of a run is due at 0.
 */
export function timeOfCount(segments: Segment[], n: number): number {
  for (const s of segments) {
    const inSegment = ((s.r0 + s.r1) / 2) * s.duration;
    const k = n - s.before;
    if (k < inSegment) {
      if (k <= 0) return s.start;
      if (s.r1 === s.r0) return s.start + k / s.r0;
      // N(τ) = r0 τ + (r1 − r0) τ² / (2D) = k.
      const a = (s.r1 - s.r0) / (2 * s.duration);
      const tau = (-s.r0 + Math.sqrt(s.r0 * s.r0 + 4 * a * k)) / (2 * a);
      return s.start + tau;
    }
  }
  return Infinity;
}
