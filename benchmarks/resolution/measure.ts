/**
 * The measurements of the resolution benchmark: per row, the server started fresh, one checked
 * request, any pre-warm, then the load from a separate process (tests/support/benchmark/load-runner.ts:
 * libs/loadgen's closed loop on autocannon), reading the server's CPU, the node's own counters and
 * the database's activity.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'pg';
import { keysConfigOf, type LoadConfig, type LoadKeys, type LoadKeysOf, type LoadResult, runLoad } from '../../tests/support/benchmark/load';
import type { RunningNode } from '../../tests/support/benchmark/server-process';
import { round } from '../../tests/support/benchmark/stats';
import { fmt } from './report';
import { deleteKeys, startBaseline, startNode, waitUntilLinked } from './setup';
import {
  BASELINE_OF,
  type Context,
  type DatabaseActivity,
  FOREIGN_PREFIX,
  type HitRatios,
  hRunKeys,
  type MemoryFacts,
  PREFIX,
  ZIPF_H_S,
  ZIPF_PAD,
  ZIPF_SUFFIX_PREFIX,
  LABELS,
  LIMITER_ON_ENV,
  log,
  type Measurement,
  PAD,
  PATH_PREFIX,
  type StepId,
  SUFFIX_PREFIX,
  UNKNOWN_PREFIX,
  zipfSeries,
} from './suite';
import { beladyHitRatio, lruHitRatio, requestTrace, tinyLfuHitRatio } from './trace';

/** Preloaded into every server a row measures (baselines excepted): a full GC on SIGUSR2 before heap figures are read. */
const GC_PRELOAD = join(__dirname, 'gc-on-signal.js');
const MEMORY_NODE_ARGS = ['--expose-gc', '--require', GC_PRELOAD];

function cacheEnv(l1: boolean, l2: boolean): Record<string, string> {
  return { CACHE_L1_ENABLED: String(l1), CACHE_L2_ENABLED: String(l2) };
}

/** Keys a step requests: the working set (cycled), all identifiers (uniform or Zipf), or unknown ones. */
function keysFor(ctx: Context, step: StepId, identifiers: number): { keys: LoadKeys; distribution: LoadConfig['distribution']; describe: string } {
  const all: LoadKeys = { series: { prefix: SUFFIX_PREFIX, pad: PAD, start: 1, count: identifiers } };
  switch (step) {
    case 'a3':
    case 'd':
      return { keys: all, distribution: 'uniform', describe: `uniform over ${identifiers.toLocaleString('en')}` };
    case 'e':
      return { keys: all, distribution: 'zipf', describe: `Zipf s=${ctx.options.zipfS} over ${identifiers.toLocaleString('en')}` };
    case 'h':
      return {
        keys: zipfSeries(ctx.options.zipfIdentifiers),
        distribution: 'zipf',
        describe: `Zipf s=${ZIPF_H_S} over ${ctx.options.zipfIdentifiers.toLocaleString('en')}, L1 ${ctx.options.l1Share * 100} % of them`,
      };
    case 'f':
      return {
        keys: { series: { prefix: UNKNOWN_PREFIX, pad: PAD, start: 1, count: ctx.options.unknown } },
        distribution: 'cycle',
        describe: `${ctx.options.unknown.toLocaleString('en')} unknown, cycled`,
      };
    default:
      return { keys: { suffixes: ctx.workingSet }, distribution: 'cycle', describe: `${ctx.workingSet.length.toLocaleString('en')} known, cycled` };
  }
}

/** A row's server, started fresh and ready for its load: checked, its memory read, any pre-warm done. */
interface ReadyRow {
  step: StepId;
  server: RunningNode;
  env: Record<string, string> | undefined;
  isNode: boolean;
  keys: LoadKeys;
  distribution: LoadConfig['distribution'];
  describe: string;
  /** Requests sent before the load (the check, any pre-warm). */
  requestsSent: number;
  memoryAtStart?: MemoryFacts;
  compared: boolean;
}

async function startRow(ctx: Context, step: StepId, identifiers: number, compared: boolean): Promise<ReadyRow> {
  const { keys, distribution, describe } = keysFor(ctx, step, identifiers);
  let server: RunningNode;
  let env: Record<string, string> | undefined;
  const isNode = !step.startsWith('a');
  if (step === 'a') server = await startBaseline(ctx, 'static');
  else if (step === 'a2') server = await startBaseline(ctx, 'redis');
  else if (step === 'a3') server = await startBaseline(ctx, 'pg');
  else {
    env = step === 'b' || step === 'e' || step === 'f' || step === 'g' || step === 'h' ? cacheEnv(true, true) : step === 'c' ? cacheEnv(false, true) : cacheEnv(false, false);
    if (step === 'b-rl') env = { ...cacheEnv(true, true), ...LIMITER_ON_ENV };
    if (step === 'g') {
      if (!ctx.federation) throw new Error('(g) needs the federation set up');
      env = { ...env, ...ctx.federation.nearEnv };
    }
    if (step === 'h') env = { ...env, ...(await l1LimitsForH(ctx)) };
    // (e) and (h) start cold: nothing of earlier runs in L2 (L1 is new with the process anyway).
    if (step === 'e' || step === 'h') await deleteKeys(ctx.redis, `${ctx.nodeEnv.REDIS_KEY_PREFIX}*`);
    server = await startNode({ ...ctx.nodeEnv, ...env }, compared ? ctx.options.compare : undefined, MEMORY_NODE_ARGS);
  }
  const row: ReadyRow = { step, server, env, isNode, keys, distribution, describe, requestsSent: 1, compared };
  try {
    if (step === 'g') await waitUntilLinked(server.baseUrl);
    await checkReply(ctx, step, server.baseUrl, keys);
    row.memoryAtStart = isNode ? await nodeMemory(server) : undefined;
    // (b), (c) and (g) measure hits: every key of the working set is loaded once before the warm-up.
    if (step === 'b' || step === 'b-rl' || step === 'c' || step === 'g') {
      await prewarm(server.baseUrl, ctx.workingSet, pathPrefixOf(step));
      row.requestsSent += ctx.workingSet.length;
    }
  } catch (error) {
    await server.stop();
    throw error;
  }
  return row;
}

/** The load of a row (other than (h), which has its own: hLoad). */
function loadOf(ctx: Context, row: ReadyRow): LoadConfig {
  return {
    url: row.server.baseUrl,
    pathPrefix: pathPrefixOf(row.step),
    keys: row.keys,
    distribution: row.distribution,
    zipfS: ctx.options.zipfS,
    seed: ctx.options.seed,
    connections: ctx.options.connections,
    durationSec: ctx.options.durationSec,
    warmupSec: ctx.options.warmupSec,
    serverPid: row.server.child.pid,
    answers: row.step === 'f' ? 'not-found' : 'found',
  };
}

/** The row's measurement from its load's result: the node's counters and memory at the end (server still running). */
async function rowMeasurement(ctx: Context, row: ReadyRow, result: LoadResult, countersBefore: Map<string, number> | undefined, roundNo: number, identifiers: number): Promise<Measurement> {
  const { step, server, env, isNode, memoryAtStart, compared } = row;
  const countersAfter = isNode ? await scrapeCounters(server.baseUrl) : undefined;
  row.requestsSent += result.warmupRequests + result.requests;
  const memory = isNode ? await nodeMemory(server) : { rssBytes: processRss(server.child.pid) };
  if (memoryAtStart) {
    memory.heapUsedAtStartBytes = memoryAtStart.heapUsedBytes;
    const entries = (memory.l1Entries ?? 0) - (memoryAtStart.l1Entries ?? 0);
    if (entries > 0 && memory.heapUsedBytes !== undefined && memoryAtStart.heapUsedBytes !== undefined) {
      memory.heapBytesPerEntry = (memory.heapUsedBytes - memoryAtStart.heapUsedBytes) / entries;
    }
    if (memory.l1Entries && memory.l1Bytes !== undefined) memory.countedBytesPerEntry = memory.l1Bytes / memory.l1Entries;
    if (env?.CACHE_L1_MAX_BYTES) memory.l1MaxBytes = Number(env.CACHE_L1_MAX_BYTES);
  }
  const nodeCounters = counterDeltas(countersBefore, countersAfter);
  const m: Measurement = { step, label: `${LABELS[step]}${compared ? ' [compared build]' : ''}`, compared, round: roundNo, identifiers, keys: row.describe, env, result, nodeCounters, memory };
  if (step === 'h') m.hitRatios = simulateH(ctx, result, nodeCounters, memory);
  return m;
}

function logMeasurement(m: Measurement): void {
  const { result, step } = m;
  const bad = result.errors + result.timeouts + (step === 'f' ? result.ok2xx : result.non2xx) + (result.wrongAnswers ?? 0);
  if (m.memory) log(`${m.label}: RSS ${fmt((m.memory.rssBytes ?? NaN) / 2 ** 20)} MiB, heap ${fmt((m.memory.heapUsedBytes ?? NaN) / 2 ** 20)} MiB, L1 ${fmt(m.memory.l1Entries)} entries / ${fmt(m.memory.l1Bytes)} bytes, heap bytes/entry ${fmt(m.memory.heapBytesPerEntry)}`);
  if (m.hitRatios) log(`${m.label}: hit ratio L1 ${fmt(m.hitRatios.l1 * 100, 1)} %, LRU ${fmt(m.hitRatios.lru * 100, 1)} %, Belady ${fmt(m.hitRatios.belady * 100, 1)} %, W-TinyLFU simulated ${fmt(m.hitRatios.tinyLfuSimulated * 100, 1)} %`);
  log(
    `${m.label} [${m.keys}]: ${Math.round(result.reqPerSec).toLocaleString('en')} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, ` +
      `server ${result.serverCpuUsPerReq !== undefined ? round(result.serverCpuUsPerReq) : '?'} µs CPU/req, ${m.database ? `${fmt(m.database.transactionsPerRequest, 2)} DB transactions/req` : 'DB transactions not told apart'}` +
      `${m.interleaved ? `, interleaved with its baseline in ${m.interleaved.turns} turns of ${m.interleaved.sliceSec} s (req/s by turn: ${(result.slices ?? []).map((x) => x.reqPerSec).join(' ')})` : ''}` +
      `${bad > 0 ? `, ${bad} unexpected answers/errors` : ''}`,
  );
}

export async function measure(ctx: Context, step: StepId, roundNo: number, identifiers: number, compared = false): Promise<Measurement> {
  const pgBefore = await pgCounters(ctx.db);
  const row = await startRow(ctx, step, identifiers, compared);
  let m: Measurement;
  try {
    // (h): a warm-up of its own, then the node's counters are read at the start of the measured window.
    let hWarmup: LoadResult | undefined;
    if (step === 'h') hWarmup = await runLoad(hLoad(ctx, row.server, 'warm-up'), ctx.scratch);
    const countersBefore = row.isNode ? await scrapeCounters(row.server.baseUrl) : undefined;
    const result = await runLoad(step === 'h' ? hLoad(ctx, row.server, 'measured') : loadOf(ctx, row), ctx.scratch);
    if (hWarmup) result.warmupRequests = hWarmup.requests;
    m = await rowMeasurement(ctx, row, result, countersBefore, roundNo, identifiers);
  } finally {
    await row.server.stop();
  }
  // A backend flushes its statistics when it exits: wait for the server's connections to go.
  await backendsGone(ctx.db);
  m.database = activity(pgBefore, await pgCounters(ctx.db), row.requestsSent);
  logMeasurement(m);
  return m;
}

/**
 * `--interleave`: a node row and its baseline measured in one run, both servers up, the load going
 * to one at a time in turns of `--interleave` seconds (load-runner.ts), so that a machine whose speed
 * drifts from minute to minute slows both alike. Returns [baseline, row]; the row's ratio is to this
 * baseline. The database's activity is the row's only when the baseline does not use the database.
 */
export async function measureInterleaved(ctx: Context, step: StepId, roundNo: number, identifiers: number): Promise<[Measurement, Measurement]> {
  const baseStep = BASELINE_OF[step];
  const sliceSec = ctx.options.interleave;
  if (baseStep === undefined || step === 'h' || sliceSec === undefined) throw new Error(`(${step}) cannot be interleaved with a baseline`);
  const pgBefore = await pgCounters(ctx.db);
  const base = await startRow(ctx, baseStep, identifiers, false);
  let row: ReadyRow;
  try {
    row = await startRow(ctx, step, identifiers, false);
  } catch (error) {
    await base.server.stop();
    throw error;
  }
  let pair: [Measurement, Measurement];
  try {
    const countersBefore = await Promise.all([base, row].map((r) => (r.isNode ? scrapeCounters(r.server.baseUrl) : undefined)));
    const result = await runLoad({ ...loadOf(ctx, base), interleave: { other: loadOf(ctx, row), sliceSec } }, ctx.scratch);
    const { interleaved, ...baseResult } = result;
    if (!interleaved) throw new Error('the load runner did not measure the interleaved row');
    const { turns, sliceSec: slice, ...rowResult } = interleaved;
    pair = [
      await rowMeasurement(ctx, base, baseResult, countersBefore[0], roundNo, identifiers),
      await rowMeasurement(ctx, row, rowResult, countersBefore[1], roundNo, identifiers),
    ];
    for (const m of pair) m.interleaved = { turns, sliceSec: slice ?? sliceSec };
  } finally {
    await Promise.all([base.server.stop(), row.server.stop()]);
  }
  await backendsGone(ctx.db);
  if (!base.isNode && baseStep !== 'a3') pair[1].database = activity(pgBefore, await pgCounters(ctx.db), row.requestsSent);
  for (const m of pair) logMeasurement(m);
  return pair;
}

interface PgCounters {
  transactions: number;
  blocksHit: number;
  blocksRead: number;
}

async function pgCounters(db: Client): Promise<PgCounters> {
  const row = (
    await db.query<{ x: string; hit: string; read: string }>(
      'SELECT xact_commit + xact_rollback AS x, blks_hit AS hit, blks_read AS read FROM pg_stat_database WHERE datname = current_database()',
    )
  ).rows[0];
  return { transactions: Number(row.x), blocksHit: Number(row.hit), blocksRead: Number(row.read) };
}

async function backendsGone(db: Client): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const n = Number(
      (await db.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).rows[0].n,
    );
    if (n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function activity(before: PgCounters, after: PgCounters, requests: number): DatabaseActivity {
  const transactions = after.transactions - before.transactions;
  const blocksHit = after.blocksHit - before.blocksHit;
  const blocksRead = after.blocksRead - before.blocksRead;
  return {
    transactions,
    blocksHit,
    blocksRead,
    requests,
    transactionsPerRequest: round(transactions / requests, 3),
    bufferHitPercent: blocksHit + blocksRead > 0 ? round((blocksHit / (blocksHit + blocksRead)) * 100, 1) : NaN,
  };
}

/** One request before the load: the server must give the expected bytes (baselines) or answer (node). */
async function checkReply(ctx: Context, step: StepId, baseUrl: string, keys: LoadKeys): Promise<void> {
  const suffix = 'suffixes' in keys ? keys.suffixes[0] : `${keys.series.prefix}${String(keys.series.start).padStart(keys.series.pad, '0')}`;
  const response = await fetch(`${baseUrl}${pathPrefixOf(step)}${suffix}`, { signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  if (step === 'a' || step === 'a2' || step === 'a3') {
    if (response.status !== 200 || text !== ctx.reply) throw new Error(`baseline ${step} answered ${response.status} ${text.slice(0, 200)}`);
    return;
  }
  const expected = step === 'f' ? [404, 100] : [200, 1];
  let code: unknown;
  try {
    code = (JSON.parse(text) as { responseCode?: unknown }).responseCode;
  } catch {
    code = undefined;
  }
  if (response.status !== expected[0] || code !== expected[1]) throw new Error(`node (${step}) answered ${response.status} ${text.slice(0, 300)} for ${suffix}`);
}

async function prewarm(baseUrl: string, suffixes: string[], pathPrefix: string): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < suffixes.length; i = next++) {
      const response = await fetch(`${baseUrl}${pathPrefix}${suffixes[i]}`, { signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`pre-warm of ${suffixes[i]}: HTTP ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/**
 * Counters of the node's /metrics whose name mentions resolution or cache: deltas over a run show
 * which tier actually answered. Absent (undefined) while the node has no such metrics.
 */
async function scrapeCounters(baseUrl: string): Promise<Map<string, number> | undefined> {
  try {
    const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
    const text = await response.text();
    if (response.status !== 200) return undefined;
    const counters = new Map<string, number>();
    for (const line of text.split('\n')) {
      if (line.startsWith('#')) continue;
      const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (!match || !/resol|cache/i.test(match[1]) || !/(_total|_count)$/.test(match[1])) continue;
      const value = Number(match[3]);
      if (Number.isFinite(value)) counters.set(`${match[1]}${match[2] ?? ''}`, value);
    }
    return counters;
  } catch {
    return undefined;
  }
}

function counterDeltas(before?: Map<string, number>, after?: Map<string, number>): Record<string, number> | undefined {
  if (!after || after.size === 0) return undefined;
  const deltas: Record<string, number> = {};
  for (const [name, value] of after) {
    const delta = value - (before?.get(name) ?? 0);
    if (delta !== 0) deltas[name] = delta;
  }
  return Object.keys(deltas).length > 0 ? deltas : undefined;
}

function pathPrefixOf(step: StepId): string {
  return step === 'g' ? `/api/handles/${FOREIGN_PREFIX}/` : PATH_PREFIX;
}

/** Row (h)'s two load runs: the warm-up (its own draws) and the measured window (the next draws). */
function hLoad(ctx: Context, server: RunningNode, part: 'warm-up' | 'measured'): LoadConfig {
  return {
    url: server.baseUrl,
    ...hKeys(ctx, part),
    connections: ctx.options.connections,
    durationSec: part === 'warm-up' ? ctx.options.hWarmupSec : ctx.options.durationSec,
    warmupSec: 0,
    serverPid: server.child.pid,
    // Building the CDF and the shuffle of 10^7 keys takes the runner seconds, more on a busy machine.
    startupAllowanceSec: 30 + Math.ceil(ctx.options.zipfIdentifiers / 100_000),
  };
}

function hKeys(ctx: Context, part: 'warm-up' | 'measured'): LoadKeysOf {
  return hRunKeys(ctx.options.seed, ctx.options.zipfIdentifiers, ZIPF_H_S, part);
}

/**
 * (h)'s L1 limits: bytes for `--l1-share` of the identifiers at the weight the node counts for one of
 * them (read from a probe node's /metrics after a few fills), so that bytes are the bound that binds;
 * the entry bound is set at twice that count, out of the way.
 */
async function l1LimitsForH(ctx: Context): Promise<Record<string, string>> {
  const entries = Math.max(1, Math.round(ctx.options.zipfIdentifiers * ctx.options.l1Share));
  const probe = await startNode({ ...ctx.nodeEnv, ...cacheEnv(true, false) });
  let weight: number;
  try {
    for (let i = 1; i <= 100; i += 1) {
      const response = await fetch(`${probe.baseUrl}${PATH_PREFIX}${ZIPF_SUFFIX_PREFIX}${String(i * 97).padStart(ZIPF_PAD, '0')}`, { signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`(h) probe: HTTP ${response.status}`);
    }
    const gauges = await scrapeGauges(probe.baseUrl);
    weight = (gauges.get('idis_l1_bytes') ?? NaN) / (gauges.get('idis_l1_entries') ?? NaN);
    if (!(weight > 0)) throw new Error('(h) probe: the node reports no L1 bytes/entries at /metrics');
  } finally {
    await probe.stop();
  }
  const maxBytes = Math.round(entries * weight);
  log(`(h): L1 weight ${fmt(weight)} bytes per record (as the node counts it): CACHE_L1_MAX_BYTES=${maxBytes} for ${entries.toLocaleString('en')} entries`);
  return { CACHE_L1_MAX_BYTES: String(maxBytes), CACHE_L1_MAX_ENTRIES: String(entries * 2) };
}

/**
 * (h)'s hit ratios: the node's (tier l1 ÷ all answers over the measured window, from its counters),
 * and LRU's, Belady's and the simulated W-TinyLFU's on the same trace replayed offline (warm-up, then
 * the measured window; at most --trace-limit requests, the warm-up's start cut first), each with the
 * number of entries the node's L1 held at the end.
 */
function simulateH(ctx: Context, result: LoadResult, counters: Record<string, number> | undefined, memory: MemoryFacts): HitRatios {
  const started = Date.now();
  const count = (tier: string) =>
    Object.entries(counters ?? {})
      .filter(([name]) => name.startsWith('idis_resolution_duration_seconds_count{') && (tier === '*' || name.includes(`tier="${tier}"`)))
      .reduce((sum, [, v]) => sum + v, 0);
  const answered = count('*');
  const l1 = answered > 0 ? count('l1') / answered : NaN;
  const measured = Math.min(result.requests, Math.floor(ctx.options.traceLimit / 2));
  const warm = Math.min(result.warmupRequests, ctx.options.traceLimit - measured);
  const warmTrace = requestTrace(keysConfigOf(hKeys(ctx, 'warm-up')), result.warmupRequests);
  const trace = new Int32Array(warm + measured);
  trace.set(warmTrace.subarray(result.warmupRequests - warm));
  trace.set(requestTrace(keysConfigOf(hKeys(ctx, 'measured')), measured), warm);
  const capacity = Math.max(1, memory.l1Entries ?? Math.round(ctx.options.zipfIdentifiers * ctx.options.l1Share));
  const weight = memory.countedBytesPerEntry ?? 1;
  const keyOf = (k: number) => `${PREFIX}/${ZIPF_SUFFIX_PREFIX}${String(k + 1).padStart(ZIPF_PAD, '0')}`.toLowerCase();
  const ratios: HitRatios = {
    l1,
    lru: lruHitRatio(trace, capacity, warm, ctx.options.zipfIdentifiers),
    belady: beladyHitRatio(trace, capacity, warm, ctx.options.zipfIdentifiers),
    tinyLfuSimulated: tinyLfuHitRatio(trace, capacity * 2, Math.round(capacity * weight), weight, warm, keyOf),
    capacity,
    warmupRequests: result.warmupRequests,
    measuredRequests: result.requests,
    replayed: trace.length,
    simulationSeconds: 0,
  };
  ratios.simulationSeconds = round((Date.now() - started) / 1000, 1);
  return ratios;
}

/** The node's memory after a full GC (SIGUSR2 to the preloaded gc-on-signal.js), from its /metrics. */
async function nodeMemory(server: RunningNode): Promise<MemoryFacts> {
  if (server.child.pid !== undefined) process.kill(server.child.pid, 'SIGUSR2');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const gauges = await scrapeGauges(server.baseUrl);
  return {
    rssBytes: gauges.get('idis_process_resident_memory_bytes') ?? processRss(server.child.pid),
    heapUsedBytes: gauges.get('idis_nodejs_heap_size_used_bytes'),
    l1Entries: gauges.get('idis_l1_entries'),
    l1Bytes: gauges.get('idis_l1_bytes'),
  };
}

/** VmRSS of a process from /proc, in bytes. */
function processRss(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Unlabelled gauges of a node's /metrics. */
async function scrapeGauges(baseUrl: string): Promise<Map<string, number>> {
  const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await response.text();
  const gauges = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)\s+(\S+)/.exec(line);
    if (match && Number.isFinite(Number(match[2]))) gauges.set(match[1], Number(match[2]));
  }
  return gauges;
}
