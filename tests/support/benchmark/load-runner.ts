/**
 * The load generator of the resolution benchmark, run as its own process per measurement so that
 * it never shares an event loop with the server it measures (the machine's two cores it does share;
 * see stack-facts §4). It drives libs/loadgen's closed loop on autocannon — the same engine as
 * `idis-loadtest` — and checks every answer (status, and on the node that the reply names the
 * handle asked for).
 *
 *   node -r ts-node/register/transpile-only -r tsconfig-paths/register load-runner.ts <config.json>
 *
 * Config (LoadConfig in load.ts): { url, pathPrefix, keys, distribution, zipfS?, seed?, connections,
 * durationSec, warmupSec, serverPid?, timeoutSec?, answers? } where keys is { suffixes } or
 * { series: { prefix, pad, start, count } } and distribution 'cycle' | 'uniform' | 'zipf'.
 * A warm-up of warmupSec runs first with the same generator and is not measured. The measured run
 * is bracketed by reads of /proc/<serverPid>/stat (server CPU) and /proc/stat (whole machine).
 * With `interleave: { other, sliceSec }` a second server (`other`: its own url, keys, serverPid …)
 * is measured in the same run: both warm up, then the measured duration goes in turns of one slice
 * on each (A B, B A, …), each slice bracketed by reads of its server's CPU; `interleaved` in the
 * result holds the other server's figures.
 * Prints one JSON line with the result (LoadResult) on stdout.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { decodeHistogram, type EngineOptions, type Histogram, newHistogram, runEngine, segmentsOf, summarise } from '@idis/loadgen';
import { keysConfigOf, type LoadConfig, type LoadResult } from './load';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux (getconf CLK_TCK)

function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Busy and total jiffies of the whole machine (all cores), from the first line of /proc/stat. */
function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - fields[3] - (fields[4] || 0), total };
  } catch {
    return undefined;
  }
}

function engineOptions(config: LoadConfig, seconds: number): EngineOptions {
  const keys = keysConfigOf(config);
  return {
    target: config.url,
    model: 'closed',
    driver: 'autocannon',
    segments: segmentsOf([{ kind: 'constant', duration: seconds }], 0),
    connections: config.connections,
    operations: [{ kind: 'resolve', weight: 1, check: config.answers === 'the-handle' ? 'full' : 'status' }],
    keys,
    context: { prefix: keys.prefix, templateVersion: '1.0', runTag: 'bench', mqttTopicRoot: 'idis/v1' },
    timeoutMs: (config.timeoutSec ?? 10) * 1000,
    maxRequests: Number.MAX_SAFE_INTEGER,
    maxInFlight: config.connections,
    workerIndex: 0,
  };
}

/** What the measured slices of one server add up to. */
interface Tally {
  config: LoadConfig;
  requests: number;
  seconds: number;
  histogram: Histogram;
  statusCodes: Record<string, number>;
  errorsByKind: Record<string, number>;
  loaderCpuMs: number;
  /** Undefined once a read of the server's CPU failed. */
  serverCpuMs: number | undefined;
  machineBusy: number;
  machineTotal: number;
  warmupRequests: number;
  /** Requests per second and server CPU µs per request of each slice, in order. */
  slices: Array<{ reqPerSec: number; serverCpuUsPerReq?: number }>;
}

function addInto(into: Record<string, number>, from: Record<string, number>): void {
  for (const [key, count] of Object.entries(from)) into[key] = (into[key] ?? 0) + count;
}

/** One measured slice of `seconds` on the tally's server, bracketed by reads of its CPU and the machine's. */
async function measureSlice(tally: Tally, seconds: number, stop: AbortSignal): Promise<void> {
  const pid = tally.config.serverPid;
  const cpuBefore = pid ? processCpuMs(pid) : undefined;
  const machineBefore = machineTicks();
  const part = await runEngine(engineOptions(tally.config, seconds), stop);
  const machineAfter = machineTicks();
  const cpuAfter = pid ? processCpuMs(pid) : undefined;
  tally.slices.push({
    reqPerSec: Math.round(part.requests / part.measuredSeconds),
    serverCpuUsPerReq: cpuBefore !== undefined && cpuAfter !== undefined && part.requests > 0 ? Math.round(((cpuAfter - cpuBefore) * 10_000) / part.requests) / 10 : undefined,
  });
  tally.requests += part.requests;
  tally.seconds += part.measuredSeconds;
  tally.histogram.add(decodeHistogram(part.histogram));
  addInto(tally.statusCodes, part.statusCodes);
  addInto(tally.errorsByKind, part.errorsByKind);
  tally.loaderCpuMs += part.cpu.userMs + part.cpu.systemMs;
  tally.serverCpuMs = tally.serverCpuMs !== undefined && cpuBefore !== undefined && cpuAfter !== undefined ? tally.serverCpuMs + cpuAfter - cpuBefore : undefined;
  if (machineBefore && machineAfter && machineAfter.total > machineBefore.total) {
    tally.machineBusy += machineAfter.busy - machineBefore.busy;
    tally.machineTotal += machineAfter.total - machineBefore.total;
  }
}

function resultOf(tally: Tally): LoadResult {
  const { requests, seconds, statusCodes, errorsByKind, serverCpuMs } = tally;
  const latency = summarise(tally.histogram);
  const ok2xx = Object.entries(statusCodes).reduce((n, [code, count]) => n + (code.startsWith('2') ? count : 0), 0);
  const answered = Object.values(statusCodes).reduce((n, count) => n + count, 0);
  const count = (test: (kind: string) => boolean) => Object.entries(errorsByKind).reduce((n, [kind, c]) => n + (test(kind) ? c : 0), 0);
  const timeouts = count((kind) => kind.endsWith(': timeout'));
  const failed = count((kind) => kind.startsWith('connection: '));
  return {
    requests,
    warmupRequests: tally.warmupRequests,
    seconds,
    reqPerSec: requests / seconds,
    latencyMs: { p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max, mean: latency.mean },
    statusCodes,
    ok2xx,
    non2xx: answered - ok2xx,
    errors: failed - timeouts,
    timeouts,
    resets: 0,
    // Answers with the expected status that were still wrong (another handle in the reply).
    wrongAnswers: count((kind) => kind.endsWith(': wrong handle in reply')),
    serverCpuMs,
    serverCpuUsPerReq: serverCpuMs !== undefined && requests > 0 ? (serverCpuMs * 1000) / requests : undefined,
    loaderCpuMs: tally.loaderCpuMs,
    machineBusyCores: tally.machineTotal > 0 ? (tally.machineBusy / tally.machineTotal) * cpus().length : undefined,
    slices: tally.slices.length > 1 ? tally.slices : undefined,
  };
}

async function main(): Promise<void> {
  const config = JSON.parse(readFileSync(process.argv[2], 'utf8')) as LoadConfig;
  const never = new AbortController().signal;
  const tallies: Tally[] = [config, ...(config.interleave ? [config.interleave.other] : [])].map((c) => ({
    config: c,
    requests: 0,
    seconds: 0,
    histogram: newHistogram(),
    statusCodes: {},
    errorsByKind: {},
    loaderCpuMs: 0,
    serverCpuMs: c.serverPid ? 0 : undefined,
    machineBusy: 0,
    machineTotal: 0,
    warmupRequests: 0,
    slices: [],
  }));
  for (const tally of tallies) {
    if (config.warmupSec > 0) tally.warmupRequests = (await runEngine(engineOptions(tally.config, config.warmupSec), never)).requests;
  }
  if (!config.interleave) {
    await measureSlice(tallies[0], config.durationSec, never);
  } else {
    // Turns of one slice on each server, in the order A B, B A, A B, …: a drift of the machine's
    // speed during the run reaches both alike, and neither always goes first.
    const turns = interleavedTurns(config);
    for (let turn = 0; turn < turns; turn += 1) {
      for (const tally of turn % 2 === 0 ? tallies : [...tallies].reverse()) await measureSlice(tally, config.interleave.sliceSec, never);
    }
  }
  const [out, other] = tallies.map(resultOf);
  if (other) out.interleaved = { ...other, turns: interleavedTurns(config), sliceSec: config.interleave?.sliceSec };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Turns of an interleaved run: the measured duration in slices, at least one. */
function interleavedTurns(config: LoadConfig): number {
  return Math.max(1, Math.round(config.durationSec / (config.interleave?.sliceSec ?? config.durationSec)));
}

main().catch((error: Error) => {
  process.stderr.write(`${error?.stack ?? String(error)}\n`);
  process.exit(1);
});
