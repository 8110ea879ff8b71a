/**
 * Capacity: steps the open-loop arrival rate up until p99 exceeds the bound (default 10 ms) or
 * errors exceed 0.1 %, then narrows down between the last rate that met the bound and the first
 * that did not, and reports the highest rate that met it — the way Handle.Net's peak throughput
 * is reported, and the figure an operator compares with the 10,000 QPS guideline.
 */
import { runScenario, type RunInputs, type RunSummary } from './run';
import type { Segment } from './schedule';

export interface CapacityOptions {
  startRate: number;
  /** Additive step (requests/s); when absent, the rate grows by `growth` each step. */
  stepRate?: number;
  growth: number;
  stepSeconds: number;
  warmupSeconds: number;
  maxRate: number;
  maxSteps: number;
  /** Narrowing steps after the first failure (halving the interval each time). */
  refine: number;
  p99BoundMs: number;
  errorBound: number;
}

export const CAPACITY_DEFAULTS: CapacityOptions = { startRate: 200, growth: 1.5, stepSeconds: 5, warmupSeconds: 2, maxRate: 200_000, maxSteps: 40, refine: 2, p99BoundMs: 10, errorBound: 0.001 };

export interface CapacityStep {
  targetRate: number;
  achievedRate: number;
  requests: number;
  errors: number;
  errorRate: number;
  p50: number;
  p99: number;
  met: boolean;
  why?: string;
}

export interface CapacityResult {
  options: CapacityOptions;
  steps: CapacityStep[];
  /** The highest target rate that met the bound (0 when none did). */
  highestRateMet: number;
  /** Its achieved rate, p99 and errors. */
  atHighest?: CapacityStep;
  stoppedBecause: string;
  /** Every request of every step, warm-ups included (what the target's own counters saw). */
  totals: { requests: number; ok: number; errors: number; warmupRequests: number; registered: number; byOperation: Record<string, { requests: number; ok: number; errors: number }> };
}

function stepSegments(rate: number, o: CapacityOptions): Segment[] {
  const warm = o.warmupSeconds > 0 ? [{ phase: 0, kind: 'warmup' as const, measured: false, start: 0, duration: o.warmupSeconds, r0: rate, r1: rate, before: 0 }] : [];
  return [...warm, { phase: 1, kind: 'constant', measured: true, start: o.warmupSeconds, duration: o.stepSeconds, r0: rate, r1: rate, before: rate * o.warmupSeconds }];
}

export function judge(rate: number, s: RunSummary, o: CapacityOptions): CapacityStep {
  const reasons: string[] = [];
  if (s.latency.p99 > o.p99BoundMs) reasons.push(`p99 ${s.latency.p99} ms > ${o.p99BoundMs} ms`);
  if (s.errorRate > o.errorBound) reasons.push(`errors ${(s.errorRate * 100).toFixed(2)} % > ${(o.errorBound * 100).toFixed(2)} %`);
  if (s.requests < rate * s.measuredSeconds * 0.9) reasons.push(`only ${Math.round(s.rate)} of ${Math.round(rate)} requests/s completed`);
  return {
    targetRate: rate,
    achievedRate: Math.round(s.rate),
    requests: s.requests,
    errors: s.errors,
    errorRate: s.errorRate,
    p50: s.latency.p50,
    p99: s.latency.p99,
    met: reasons.length === 0 && !s.interrupted,
    why: reasons.length > 0 ? reasons.join('; ') : s.interrupted ? 'interrupted' : undefined,
  };
}

export async function findCapacity(
  inputs: Omit<RunInputs, 'segments'>,
  options: CapacityOptions,
  stop: AbortSignal,
  onStep?: (step: CapacityStep, summary: RunSummary) => void,
): Promise<{ result: CapacityResult; summaries: RunSummary[] }> {
  const steps: CapacityStep[] = [];
  const summaries: RunSummary[] = [];
  const attempt = async (rate: number) => {
    const summary = await runScenario({ ...inputs, segments: stepSegments(rate, options) }, stop);
    const step = judge(rate, summary, options);
    steps.push(step);
    summaries.push(summary);
    onStep?.(step, summary);
    return step;
  };
  let lastMet: number | undefined;
  let firstFailed: number | undefined;
  let stoppedBecause = `reached --max-rate ${options.maxRate}`;
  let rate = options.startRate;
  for (let i = 0; i < options.maxSteps && rate <= options.maxRate; i += 1) {
    if (stop.aborted) {
      stoppedBecause = 'interrupted';
      break;
    }
    const step = await attempt(rate);
    if (!step.met) {
      firstFailed = rate;
      stoppedBecause = step.why ?? 'bound not met';
      break;
    }
    lastMet = rate;
    rate = Math.round(options.stepRate ? rate + options.stepRate : rate * options.growth);
    if (i === options.maxSteps - 1) stoppedBecause = `reached --max-steps ${options.maxSteps}`;
  }
  if (lastMet !== undefined && firstFailed !== undefined) {
    let low = lastMet;
    let high = firstFailed;
    for (let r = 0; r < options.refine && !stop.aborted && high - low > Math.max(10, low * 0.05); r += 1) {
      const middle = Math.round((low + high) / 2);
      if ((await attempt(middle)).met) low = middle;
      else high = middle;
    }
    lastMet = low;
  }
  if (stop.aborted) stoppedBecause = 'interrupted';
  const atHighest = steps.filter((s) => s.met && s.targetRate === lastMet).pop();
  const totals: CapacityResult['totals'] = { requests: 0, ok: 0, errors: 0, warmupRequests: 0, registered: 0, byOperation: {} };
  for (const s of summaries) {
    totals.requests += s.requests;
    totals.ok += s.ok;
    totals.errors += s.errors;
    totals.warmupRequests += s.warmupRequests;
    totals.registered += s.registered;
    for (const [kind, o] of Object.entries(s.operations)) {
      const t = (totals.byOperation[kind] ??= { requests: 0, ok: 0, errors: 0 });
      t.requests += o.requests;
      t.ok += o.ok;
      t.errors += o.errors;
    }
  }
  return { result: { options, steps, highestRateMet: lastMet ?? 0, atHighest, stoppedBecause, totals }, summaries };
}
