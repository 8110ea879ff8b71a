/**
 * What a run (or one worker's share of it) records: per operation and overall HDR histograms of the
 * measured phases, counts, errors by kind, and one bucket per second for the timeline. Everything
 * serialises to JSON (histograms as compressed base64) so that workers hand it to the parent, which
 * merges histograms exactly.
 */
import { encodeHistogram, type Histogram, mergeEncoded, newHistogram, recordMs } from './histogram';

export interface SecondBucket {
  /** Whole seconds since the start of the run. */
  second: number;
  measured: boolean;
  /** Requests completed (answered or failed) in this second. */
  requests: number;
  errors: number;
  /** The open loop's scheduled rate at the start of the second. */
  targetRate?: number;
  histogram: string;
}

export interface OperationPart {
  requests: number;
  ok: number;
  errors: number;
  histogram: string;
}

export interface RunPart {
  workerIndex: number;
  startedAt: number;
  /** Measured seconds (warm-up excluded) and the whole run's wall-clock seconds. */
  measuredSeconds: number;
  wallSeconds: number;
  requests: number;
  ok: number;
  errors: number;
  warmupRequests: number;
  /** Identifiers registered by successful register / register-batch operations. */
  registered: number;
  /** Sends the open loop could not make because maxInFlight requests were outstanding (counted as errors too). */
  dropped: number;
  histogram: string;
  /** Open loop: how late sends left compared with their intended time. */
  sendLag?: string;
  operations: Record<string, OperationPart>;
  errorsByKind: Record<string, number>;
  /** Measured answers by HTTP status (MQTT publishes and failed connections have none). */
  statusCodes: Record<string, number>;
  timeline: SecondBucket[];
  cpu: { userMs: number; systemMs: number; wallMs: number };
  interrupted: boolean;
}

interface OperationTotals {
  requests: number;
  ok: number;
  errors: number;
  histogram: Histogram;
}

export class Recorder {
  readonly histogram = newHistogram();
  readonly sendLag = newHistogram();
  private readonly operations = new Map<string, OperationTotals>();
  readonly errorsByKind = new Map<string, number>();
  readonly statusCodes = new Map<number, number>();
  requests = 0;
  ok = 0;
  errors = 0;
  warmupRequests = 0;
  registered = 0;
  dropped = 0;
  private bucket: { second: number; measured: boolean; requests: number; errors: number; targetRate?: number; histogram: Histogram } | undefined;
  readonly timeline: SecondBucket[] = [];

  constructor(
    readonly startMs: number,
    private readonly onSecond?: (bucket: SecondBucket) => void,
  ) {}

  private operation(kind: string): OperationTotals {
    let totals = this.operations.get(kind);
    if (!totals) {
      totals = { requests: 0, ok: 0, errors: 0, histogram: newHistogram() };
      this.operations.set(kind, totals);
    }
    return totals;
  }

  /** Rolls the per-second bucket forward to the second containing nowMs. */
  tick(nowMs: number, measured: boolean, targetRate?: number): void {
    const second = Math.floor((nowMs - this.startMs) / 1000);
    if (this.bucket && this.bucket.second === second) return;
    this.flushBucket();
    this.bucket = { second, measured, requests: 0, errors: 0, targetRate, histogram: newHistogram() };
  }

  flushBucket(): void {
    if (!this.bucket) return;
    const { histogram, ...rest } = this.bucket;
    const out: SecondBucket = { ...rest, histogram: encodeHistogram(histogram) };
    this.timeline.push(out);
    this.bucket = undefined;
    this.onSecond?.(out);
  }

  /** One finished operation: latency in ms, and undefined or the kind of error. */
  record(kind: string, latencyMs: number, error: string | undefined, measured: boolean, registered = 0, status = 0): void {
    if (!measured) {
      this.warmupRequests += 1;
      return;
    }
    if (status > 0) this.statusCodes.set(status, (this.statusCodes.get(status) ?? 0) + 1);
    const op = this.operation(kind);
    op.requests += 1;
    this.requests += 1;
    if (this.bucket) this.bucket.requests += 1;
    if (error === undefined) {
      op.ok += 1;
      this.ok += 1;
      this.registered += registered;
      recordMs(op.histogram, latencyMs);
      recordMs(this.histogram, latencyMs);
      if (this.bucket) recordMs(this.bucket.histogram, latencyMs);
    } else {
      op.errors += 1;
      this.errors += 1;
      if (this.bucket) this.bucket.errors += 1;
      const name = `${kind}: ${error}`;
      this.errorsByKind.set(name, (this.errorsByKind.get(name) ?? 0) + 1);
    }
  }

  /** Latencies of failed requests are not in the histograms: a fast 500 must not improve p99. */
  part(workerIndex: number, measuredSeconds: number, wallMs: number, cpu: NodeJS.CpuUsage, interrupted: boolean, withSendLag: boolean): RunPart {
    this.flushBucket();
    const operations: Record<string, OperationPart> = {};
    for (const [kind, t] of this.operations) operations[kind] = { requests: t.requests, ok: t.ok, errors: t.errors, histogram: encodeHistogram(t.histogram) };
    return {
      workerIndex,
      startedAt: Date.now() - wallMs,
      measuredSeconds,
      wallSeconds: wallMs / 1000,
      requests: this.requests,
      ok: this.ok,
      errors: this.errors,
      warmupRequests: this.warmupRequests,
      registered: this.registered,
      dropped: this.dropped,
      histogram: encodeHistogram(this.histogram),
      sendLag: withSendLag ? encodeHistogram(this.sendLag) : undefined,
      operations,
      errorsByKind: Object.fromEntries(this.errorsByKind),
      statusCodes: Object.fromEntries([...this.statusCodes].map(([code, n]) => [String(code), n])),
      timeline: this.timeline,
      cpu: { userMs: cpu.user / 1000, systemMs: cpu.system / 1000, wallMs },
      interrupted,
    };
  }
}

/** Merges the timelines of several workers second by second (histograms added exactly). */
export function mergeTimelines(timelines: SecondBucket[][]): SecondBucket[] {
  const bySecond = new Map<number, SecondBucket[]>();
  for (const timeline of timelines) for (const b of timeline) bySecond.set(b.second, [...(bySecond.get(b.second) ?? []), b]);
  return [...bySecond.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([second, buckets]) => ({
      second,
      measured: buckets.some((b) => b.measured),
      requests: buckets.reduce((s, b) => s + b.requests, 0),
      errors: buckets.reduce((s, b) => s + b.errors, 0),
      targetRate: buckets.every((b) => b.targetRate === undefined) ? undefined : buckets.reduce((s, b) => s + (b.targetRate ?? 0), 0),
      histogram: encodeHistogram(mergeEncoded(buckets.map((b) => b.histogram))),
    }));
}
