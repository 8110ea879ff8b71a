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
 * Prints one JSON line with the result (LoadResult) on stdout.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { decodeHistogram, type Distribution, type EngineOptions, type KeysConfig, runEngine, segmentsOf, summarise } from '@idis/loadgen';
import type { LoadConfig, LoadResult } from './load';

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

/** /api/handles/88.118.8/ → 88.118.8: the engine builds /api/handles/{prefix}/{suffix} itself. */
function prefixOf(pathPrefix: string): string {
  const match = /^\/api\/handles\/(.+)\/$/.exec(pathPrefix);
  if (!match) throw new Error(`pathPrefix ${pathPrefix} is not /api/handles/{prefix}/`);
  return match[1];
}

function engineOptions(config: LoadConfig, seconds: number): EngineOptions {
  const distribution: Distribution = config.distribution === 'zipf' ? { kind: 'zipf', s: config.zipfS ?? 1 } : { kind: config.distribution };
  const keys: KeysConfig = {
    prefix: prefixOf(config.pathPrefix),
    source: 'suffixes' in config.keys ? { list: config.keys.suffixes } : { series: { stem: config.keys.series.prefix, pad: config.keys.series.pad, start: config.keys.series.start, count: config.keys.series.count } },
    distribution,
    allUnknown: config.answers === 'not-found',
    seed: config.seed ?? 1,
  };
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

async function main(): Promise<void> {
  const config = JSON.parse(readFileSync(process.argv[2], 'utf8')) as LoadConfig;
  const never = new AbortController().signal;
  const warmup = config.warmupSec > 0 ? await runEngine(engineOptions(config, config.warmupSec), never) : undefined;

  const cpuBefore = config.serverPid ? processCpuMs(config.serverPid) : undefined;
  const machineBefore = machineTicks();
  const part = await runEngine(engineOptions(config, config.durationSec), never);
  const machineAfter = machineTicks();
  const cpuAfter = config.serverPid ? processCpuMs(config.serverPid) : undefined;

  const latency = summarise(decodeHistogram(part.histogram));
  const requests = part.requests;
  const seconds = part.measuredSeconds;
  const serverCpuMs = cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined;
  const ok2xx = Object.entries(part.statusCodes).reduce((n, [code, count]) => n + (code.startsWith('2') ? count : 0), 0);
  const answered = Object.values(part.statusCodes).reduce((n, count) => n + count, 0);
  const count = (test: (kind: string) => boolean) => Object.entries(part.errorsByKind).reduce((n, [kind, c]) => n + (test(kind) ? c : 0), 0);
  const timeouts = count((kind) => kind.endsWith(': timeout'));
  const failed = count((kind) => kind.startsWith('connection: '));
  const out: LoadResult = {
    requests,
    warmupRequests: warmup ? warmup.requests : 0,
    seconds,
    reqPerSec: requests / seconds,
    latencyMs: { p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max, mean: latency.mean },
    statusCodes: part.statusCodes,
    ok2xx,
    non2xx: answered - ok2xx,
    errors: failed - timeouts,
    timeouts,
    resets: 0,
    // Answers with the expected status that were still wrong (another handle in the reply).
    wrongAnswers: count((kind) => kind.endsWith(': wrong handle in reply')),
    serverCpuMs,
    serverCpuUsPerReq: serverCpuMs !== undefined && requests > 0 ? (serverCpuMs * 1000) / requests : undefined,
    loaderCpuMs: part.cpu.userMs + part.cpu.systemMs,
    machineBusyCores: machineBefore && machineAfter && machineAfter.total > machineBefore.total ? ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)) * cpus().length : undefined,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((error: Error) => {
  process.stderr.write(`${error?.stack ?? String(error)}\n`);
  process.exit(1);
});
