/**
 * A run: the scenario's engine in this process or in N worker processes (child_process.fork of
 * worker.ts), their parts merged exactly (HDR histograms added), turned into the result file's
 * shape. Progress arrives once a second per worker and is merged for the live line.
 */
import { fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { type EngineOptions, runEngine } from './engine';
import { decodeHistogram, encodeHistogram, type LatencySummary, mergeEncoded, percentileCurve, summarise } from './histogram';
import { mergeTimelines, type RunPart, type SecondBucket } from './recorder';
import { keysConfigOf, type Scenario } from './scenario';
import { segmentsOf, totalDuration, type Segment } from './schedule';

/** Above this share of one core the generator, not the server, may be what limits the numbers. */
export const GENERATOR_CPU_WARN = 0.85;

export interface RunInputs {
  scenario: Scenario;
  target: string;
  workers: number;
  token?: string;
  mqtt?: { url: string; username?: string; password?: string; topicRoot: string };
  /** Replaces the scenario's phases (capacity steps). */
  segments?: Segment[];
  runTag: string;
  tls?: { rejectUnauthorized: boolean };
  onSecond?: (merged: TimelinePoint, elapsedSec: number, totalSec: number) => void;
}

export interface TimelinePoint {
  second: number;
  measured: boolean;
  targetRate?: number;
  requests: number;
  errors: number;
  p50: number;
  p99: number;
}

export interface OperationSummary {
  requests: number;
  ok: number;
  errors: number;
  rate: number;
  latency: LatencySummary;
}

export interface RunSummary {
  interrupted: boolean;
  workers: number;
  measuredSeconds: number;
  wallSeconds: number;
  requests: number;
  ok: number;
  errors: number;
  errorRate: number;
  /** Completed measured requests per second. */
  rate: number;
  warmupRequests: number;
  registered: number;
  dropped: number;
  latency: LatencySummary;
  latencyCurve: Array<[number, number]>;
  histogram: string;
  sendLag?: LatencySummary;
  operations: Record<string, OperationSummary>;
  errorsByKind: Record<string, number>;
  statusCodes: Record<string, number>;
  timeline: TimelinePoint[];
  generator: { cpuOfCorePerWorker: number[]; warnings: string[]; loadAverage: number[]; cores: number };
}

function toPoint(b: SecondBucket): TimelinePoint {
  const s = summarise(decodeHistogram(b.histogram));
  return { second: b.second, measured: b.measured, targetRate: b.targetRate, requests: b.requests, errors: b.errors, p50: s.p50, p99: s.p99 };
}

export function engineOptionsFor(inputs: RunInputs, workerIndex: number, workers: number): Omit<EngineOptions, 'onSecond'> {
  const s = inputs.scenario;
  const share = (n: number) => n / workers;
  const segments = (inputs.segments ?? segmentsOf(s.phases, s.rate)).map((seg) => ({ ...seg, r0: share(seg.r0), r1: share(seg.r1), before: share(seg.before) }));
  const split = (n: number) => Math.max(1, Math.floor(n / workers) + (workerIndex < n % workers ? 1 : 0));
  return {
    target: inputs.target,
    model: s.model,
    driver: s.driver,
    segments,
    connections: split(s.connections),
    operations: s.mix.map((m) => ({ kind: m.op, weight: m.weight, batchSize: m.batchSize, direction: m.direction })),
    keys: keysConfigOf(s),
    context: {
      token: inputs.token,
      prefix: s.register?.prefix ?? s.keys.prefix,
      templateVersion: s.register?.templateVersion ?? '1.0',
      runTag: `${inputs.runTag}-${workerIndex}`,
      mqttTopicRoot: inputs.mqtt?.topicRoot ?? 'idis/v1',
    },
    timeoutMs: s.timeoutMs,
    maxRequests: split(s.maxRequests),
    maxInFlight: split(s.maxInFlight),
    mqtt: inputs.mqtt,
    workerIndex,
    tls: inputs.tls,
  };
}

export const WORKER_MAIN = join(__dirname, 'worker');

/** Runs the scenario (in-process when workers = 1) and returns the merged summary. */
export async function runScenario(inputs: RunInputs, stop: AbortSignal): Promise<RunSummary> {
  const workers = Math.max(1, inputs.workers);
  const totalSec = totalDuration(inputs.segments ?? segmentsOf(inputs.scenario.phases, inputs.scenario.rate));
  const pendingSeconds = new Map<number, SecondBucket[]>();
  const started = Date.now();
  const onBucket = (bucket: SecondBucket) => {
    const list = [...(pendingSeconds.get(bucket.second) ?? []), bucket];
    pendingSeconds.set(bucket.second, list);
    if (list.length === workers) {
      pendingSeconds.delete(bucket.second);
      inputs.onSecond?.(toPoint(mergeTimelines([list])[0]), (Date.now() - started) / 1000, totalSec);
    }
  };
  let parts: RunPart[];
  if (workers === 1) {
    parts = [await runEngine({ ...engineOptionsFor(inputs, 0, 1), onSecond: onBucket }, stop)];
  } else {
    parts = await Promise.all(Array.from({ length: workers }, (_, i) => runWorker(engineOptionsFor(inputs, i, workers), onBucket, stop)));
  }
  return mergeParts(parts);
}

function runWorker(options: Omit<EngineOptions, 'onSecond'>, onBucket: (b: SecondBucket) => void, stop: AbortSignal): Promise<RunPart> {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER_MAIN, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let done = false;
    const onAbort = () => child.connected && child.send({ type: 'stop' });
    stop.addEventListener('abort', onAbort);
    const limit = setTimeout(
      () => {
        if (!done) child.kill('SIGKILL');
      },
      (totalDuration(options.segments) + options.timeoutMs / 1000 + 60) * 1000,
    );
    child.on('message', (message: { type: string; bucket?: SecondBucket; part?: RunPart; error?: string }) => {
      if (message.type === 'second' && message.bucket) onBucket(message.bucket);
      else if (message.type === 'done' && message.part) {
        done = true;
        resolve(message.part);
      } else if (message.type === 'error') {
        done = true;
        reject(new Error(`worker ${options.workerIndex}: ${message.error}`));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(limit);
      stop.removeEventListener('abort', onAbort);
      if (!done) reject(new Error(`worker ${options.workerIndex} exited with ${code ?? signal} before its result`));
    });
    child.send({ type: 'start', options });
  });
}

/** Merges the parts of all workers: counts add, histograms add exactly, CPU is kept per worker. */
export function mergeParts(parts: RunPart[]): RunSummary {
  const sum = (f: (p: RunPart) => number) => parts.reduce((s, p) => s + f(p), 0);
  const histogram = mergeEncoded(parts.map((p) => p.histogram));
  const measuredSeconds = Math.max(...parts.map((p) => p.measuredSeconds));
  const operations: Record<string, OperationSummary> = {};
  const kinds = new Set(parts.flatMap((p) => Object.keys(p.operations)));
  for (const kind of kinds) {
    const ofKind = parts.map((p) => p.operations[kind]).filter((o) => o !== undefined);
    const requests = ofKind.reduce((s, o) => s + o.requests, 0);
    operations[kind] = {
      requests,
      ok: ofKind.reduce((s, o) => s + o.ok, 0),
      errors: ofKind.reduce((s, o) => s + o.errors, 0),
      rate: measuredSeconds > 0 ? requests / measuredSeconds : 0,
      latency: summarise(mergeEncoded(ofKind.map((o) => o.histogram))),
    };
  }
  const errorsByKind: Record<string, number> = {};
  for (const p of parts) for (const [k, n] of Object.entries(p.errorsByKind)) errorsByKind[k] = (errorsByKind[k] ?? 0) + n;
  const statusCodes: Record<string, number> = {};
  for (const p of parts) for (const [k, n] of Object.entries(p.statusCodes ?? {})) statusCodes[k] = (statusCodes[k] ?? 0) + n;
  const cpuOfCorePerWorker = parts.map((p) => (p.cpu.wallMs > 0 ? (p.cpu.userMs + p.cpu.systemMs) / p.cpu.wallMs : 0));
  const warnings: string[] = [];
  cpuOfCorePerWorker.forEach((c, i) => {
    if (c > GENERATOR_CPU_WARN)
      warnings.push(`load generator ${parts.length > 1 ? `worker ${i} ` : ''}used ${Math.round(c * 100)} % of a core (> ${GENERATOR_CPU_WARN * 100} %): it may be the bottleneck; add --workers or a second machine`);
  });
  const requests = sum((p) => p.requests);
  const errors = sum((p) => p.errors);
  const sendLagParts = parts.map((p) => p.sendLag).filter((s): s is string => s !== undefined);
  return {
    interrupted: parts.some((p) => p.interrupted),
    workers: parts.length,
    measuredSeconds,
    wallSeconds: Math.max(...parts.map((p) => p.wallSeconds)),
    requests,
    ok: sum((p) => p.ok),
    errors,
    errorRate: requests > 0 ? errors / requests : 0,
    rate: measuredSeconds > 0 ? requests / measuredSeconds : 0,
    warmupRequests: sum((p) => p.warmupRequests),
    registered: sum((p) => p.registered),
    dropped: sum((p) => p.dropped),
    latency: summarise(histogram),
    latencyCurve: percentileCurve(histogram),
    histogram: encodeHistogram(histogram),
    sendLag: sendLagParts.length > 0 ? summarise(mergeEncoded(sendLagParts)) : undefined,
    operations,
    errorsByKind,
    statusCodes,
    timeline: mergeTimelines(parts.map((p) => p.timeline)).map(toPoint),
    generator: { cpuOfCorePerWorker: cpuOfCorePerWorker.map((c) => Math.round(c * 1000) / 1000), warnings, loadAverage: loadavg().map((l) => Math.round(l * 100) / 100), cores: cpus().length },
  };
}
