/**
 * What the resolution benchmark is: its rows (steps) with their labels, baselines and targets, the
 * command-line options, and the context the setup hands to the measurements and the report.
 */
import type Redis from 'ioredis';
import type { Client } from 'pg';
import type { LoadKeys, LoadKeysOf, LoadResult } from '../../tests/support/benchmark/load';

export const PREFIX = '88.118.8';
export const PATH_PREFIX = `/api/handles/${PREFIX}/`;
/** The enterprise prefix (g) resolves: filed by a second secondary node (88.200) at the top level. */
export const FOREIGN_PREFIX = '88.200.5';
export const SUFFIX_PREFIX = 'BENCH-';
export const UNKNOWN_PREFIX = 'UNKNOWN-';
/** Row (h): its own identifiers, ZIPF-00000001 … (8 digits: up to 99,999,999). */
export const ZIPF_SUFFIX_PREFIX = 'ZIPF-';
export const ZIPF_PAD = 8;
/** Row (h)'s Zipf exponent (issue 17 item 1). */
export const ZIPF_H_S = 0.99;

/** Row (h)'s identifiers, ZIPF-00000001 onwards. */
export function zipfSeries(identifiers: number): LoadKeys {
  return { series: { prefix: ZIPF_SUFFIX_PREFIX, pad: ZIPF_PAD, start: 1, count: identifiers } };
}

/**
 * Row (h)'s keys in one of its two load runs: which keys are popular is `seed`'s, the same in both;
 * each run draws with a seed of its own. The offline replays (measure.ts, replay.ts) draw exactly
 * these traces again.
 */
export function hRunKeys(seed: number, identifiers: number, s: number, run: 'warm-up' | 'measured'): LoadKeysOf {
  const drawSeed = (seed * 2 + (run === 'warm-up' ? 1 : 2)) >>> 0;
  return { pathPrefix: PATH_PREFIX, keys: zipfSeries(identifiers), distribution: 'zipf', zipfS: s, seed, drawSeed };
}
/** Row (h): the L1 must hit at least this many points above LRU on the same trace. */
export const HIT_RATIO_MARGIN_POINTS = 10;
/** Row (h): what the node's heap grew by for its L1 may exceed the L1 byte bound by at most this share. */
export const L1_HEAP_TOLERANCE = 0.1;
/** Digits of a seeded identifier's number: room for the scale check's 10,000,000 (and up to 99,999,999). */
export const PAD = 8;
export const SEED_BATCH = 100_000;
export const BASELINE_TABLE = 'bench_baseline_replies';
export const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The guideline for secondary nodes: 10,000 resolutions/s with 3× headroom. */
export const GUIDELINE_REQ_PER_SEC = 30_000;

export type StepId = 'a' | 'a2' | 'a3' | 'b' | 'b-rl' | 'c' | 'd' | 'e' | 'f' | 'g' | 'h';

/** The rows of a run without --steps, in this order. */
export const DEFAULT_STEPS: StepId[] = ['a', 'b', 'b-rl', 'g', 'a2', 'c', 'a3', 'd', 'e', 'h', 'f', 'a'];

export const BASELINE_OF: Partial<Record<StepId, StepId>> = { b: 'a', 'b-rl': 'b', c: 'a2', d: 'a3', e: 'a', f: 'a', g: 'b', h: 'a' };

export const LABELS: Record<StepId, string> = {
  a: '(a) bare Fastify, precomputed string',
  a2: '(a2) bare Fastify, ioredis GET',
  a3: '(a3) bare Fastify, pg PK SELECT',
  b: '(b) node, L1 hits',
  'b-rl': '(b-rl) node, L1 hits, limiter on',
  c: '(c) node, L2 hits (L1 off)',
  d: '(d) node, database only',
  e: '(e) node, Zipf over all, cold start',
  f: '(f) node, unknown identifiers',
  g: '(g) node, foreign identifiers, L1 hits (referral cached)',
  h: '(h) node, Zipf 0.99 over a big store, L1 of 1 %, steady state',
};

/**
 * Minimum ratio to the baseline by server CPU µs/req (the baseline's ÷ the row's). Issue 11 item 1:
 * counting the rate limit (at a limit above the offered load) costs at most 5 % of (b).
 */
export const CPU_TARGETS: Partial<Record<StepId, number>> = { 'b-rl': 0.95 };

/** (b-rl): every rate limit on, the anonymous-resolution limit far above what autocannon offers. */
export const LIMITER_ON_ENV: Record<string, string> = { RATE_LIMITS_ENABLED: 'true', RATE_LIMIT_RESOLUTION: '100000000/1s' };

/** Minimum ratio to the baseline, and p99 bound, from the issue. */
export const TARGETS: Partial<Record<StepId, { ratio: number; p99Ms?: number }>> = {
  b: { ratio: 0.7, p99Ms: 10 },
  c: { ratio: 0.8 },
  d: { ratio: 0.8 },
  f: { ratio: 0.6 },
  // Issue 5 item 8: a cached foreign record costs the same as a local one, within 10 %.
  g: { ratio: 0.9 },
  // Issue 17 item 1 (with the hit-ratio target HIT_RATIO_MARGIN_POINTS).
  h: { ratio: 0.6 },
};

export interface Options {
  durationSec: number;
  warmupSec: number;
  connections: number;
  identifiers: number;
  workingSet: number;
  unknown: number;
  zipfS: number;
  rounds: number;
  seed: number;
  scale: boolean;
  scaleIdentifiers: number;
  timeLimitMinutes: number;
  steps: StepId[] | undefined;
  /** Row (h): identifiers of its own key space, the L1's share of them, its warm-up and the requests replayed offline at most. */
  zipfIdentifiers: number;
  l1Share: number;
  hWarmupSec: number;
  traceLimit: number;
  /** Another build's node main.js: every node row also runs on it, right before or after this build's. */
  compare: string | undefined;
  /**
   * `--interleave[=S]`: each node row measured together with its baseline, the load going to one at a
   * time in turns of S seconds (default 1); undefined: the rows one after the other.
   */
  interleave: number | undefined;
}

export interface Measurement {
  step: StepId;
  label: string;
  round: number;
  /** Identifiers in the table when measured. */
  identifiers: number;
  keys: string;
  env?: Record<string, string>;
  result: LoadResult;
  /** Resolution counters of the node's /metrics over warm-up + run, if it exposes any. */
  nodeCounters?: Record<string, number>;
  /** The scratch database's activity from server start to stop (pg_stat_database). */
  database?: DatabaseActivity;
  baselineIndex?: number;
  ratio?: number;
  /** The server's memory at the end of the row (node rows: after a full GC), and at its start. */
  memory?: MemoryFacts;
  /** Row (h): hit ratios on the measured window. */
  hitRatios?: HitRatios;
  /** Measured on the `--compare` build, not this one (kept out of the main table and its targets). */
  compared?: boolean;
  /** Measured in turns with its partner row (`--interleave`): the turns and the slice length. */
  interleaved?: { turns: number; sliceSec: number };
}

export interface Context {
  options: Options;
  databaseUrl: string;
  scratch: string;
  replyFile: string;
  reply: string;
  contentType: string;
  redisKeyPrefix: string;
  baselineRedisKey: string;
  nodeEnv: Record<string, string>;
  workingSet: string[];
  redis: Redis;
  db: Client;
  /** For (g): a top-level node and a second secondary node (88.200) holding FOREIGN_PREFIX. */
  federation?: Federation;
}

export interface DatabaseActivity {
  transactions: number;
  blocksHit: number;
  blocksRead: number;
  /** Requests sent to the server meanwhile: the check, any pre-warm, warm-up and measured run. */
  requests: number;
  transactionsPerRequest: number;
  /** Share of block reads served from PostgreSQL's shared buffers rather than the OS. */
  bufferHitPercent: number;
}

export interface MemoryFacts {
  rssBytes?: number;
  heapUsedBytes?: number;
  /** Heap used right after start-up and the check request (after a full GC). */
  heapUsedAtStartBytes?: number;
  l1Entries?: number;
  /** The L1's own count of its bytes (what its byte bound limits). */
  l1Bytes?: number;
  l1MaxBytes?: number;
  /** (heap at end − heap at start) ÷ L1 entries at end. */
  heapBytesPerEntry?: number;
  /** l1Bytes ÷ L1 entries: what the bound counts per entry. */
  countedBytesPerEntry?: number;
}

export interface HitRatios {
  /** From the node's counters (tier l1 ÷ all answers) over the measured window. */
  l1: number;
  lru: number;
  belady: number;
  /** The same W-TinyLFU simulated offline on the trace (a cross-check of the node's figure). */
  tinyLfuSimulated: number;
  /** L1 entries the simulations were given (the node's L1 at the end of the row). */
  capacity: number;
  warmupRequests: number;
  measuredRequests: number;
  /** Requests replayed offline (warm-up then measured), at most --trace-limit. */
  replayed: number;
  simulationSeconds: number;
}

export interface Federation {
  /** What the measured node (88.118) needs to be linked to the top level. */
  nearEnv: Record<string, string>;
}

export interface ScaleFacts {
  rows: number;
  identifiersTableMb: number;
  /** Leaf partitions of identifiers (1: not partitioned), and the largest one with its indexes. */
  identifierPartitions: number;
  largestIdentifierPartitionMb: number;
  baselineTableMb: number;
  plan: string;
}

/** `--steps=a3,d`: only these rows, in this order (for profiling one tier; written to a separate file). */
function parseSteps(arg: string | undefined): StepId[] | undefined {
  if (!arg) return undefined;
  const steps = arg.slice('--steps='.length).split(',').filter(Boolean);
  const valid = Object.keys(LABELS);
  for (const step of steps) if (!valid.includes(step)) throw new Error(`--steps: unknown step ${step}; known: ${valid.join(',')}`);
  if (steps.length === 0) throw new Error('--steps needs at least one step');
  return steps as StepId[];
}

export function parseOptions(args: string[]): Options {
  const known = new Set(['duration', 'warmup', 'connections', 'identifiers', 'working-set', 'unknown', 'zipf-s', 'rounds', 'seed', 'scale', 'scale-identifiers', 'time-limit-minutes', 'steps', 'compare', 'zipf-identifiers', 'l1-share', 'h-warmup', 'trace-limit', 'interleave']);
  for (const arg of args) {
    const name = arg.replace(/^--/, '').split('=')[0];
    if (!arg.startsWith('--') || !known.has(name)) throw new Error(`unknown option ${arg}; known: ${[...known].map((k) => `--${k}`).join(' ')}`);
  }
  const number = (name: string, fallback: number, min: number, max: number): number => {
    const found = args.find((a) => a.startsWith(`--${name}=`));
    const value = found ? Number(found.slice(name.length + 3)) : fallback;
    if (!Number.isFinite(value) || value < min || value > max) throw new Error(`--${name} must be a number in [${min}, ${max}]`);
    return value;
  };
  const options: Options = {
    durationSec: number('duration', 10, 1, 600),
    warmupSec: number('warmup', 3, 0, 60),
    connections: number('connections', 50, 1, 1000),
    identifiers: Math.floor(number('identifiers', 100_000, 1000, 5_000_000)),
    workingSet: Math.floor(number('working-set', 1000, 1, 100_000)),
    unknown: Math.floor(number('unknown', 1000, 1, 1_000_000)),
    zipfS: number('zipf-s', 1.0, 0.1, 3),
    rounds: Math.floor(number('rounds', 1, 1, 10)),
    seed: Math.floor(number('seed', 1, 0, 2 ** 31)),
    // `--scale` (10,000,000 rows), `--scale=N`, or `--scale --scale-identifiers=N`.
    scale: args.some((a) => a === '--scale' || a.startsWith('--scale=')),
    scaleIdentifiers: Math.floor(number(args.some((a) => a.startsWith('--scale=')) ? 'scale' : 'scale-identifiers', 10_000_000, 1000, 99_999_999)),
    timeLimitMinutes: number('time-limit-minutes', 60, 1, 24 * 60),
    steps: parseSteps(args.find((a) => a.startsWith('--steps='))),
    zipfIdentifiers: Math.floor(number('zipf-identifiers', 10_000_000, 1000, 99_999_999)),
    l1Share: number('l1-share', 0.01, 0.0001, 1),
    hWarmupSec: number('h-warmup', 60, 1, 600),
    traceLimit: Math.floor(number('trace-limit', 8_000_000, 10_000, 50_000_000)),
    compare: args.find((a) => a.startsWith('--compare='))?.slice('--compare='.length) || undefined,
    interleave: args.includes('--interleave') ? 1 : args.some((a) => a.startsWith('--interleave=')) ? number('interleave', 1, 0.5, 60) : undefined,
  };
  if (options.interleave !== undefined) {
    if (options.scale || options.compare !== undefined) throw new Error('--interleave cannot be combined with --scale or --compare');
    const rows = (options.steps ?? DEFAULT_STEPS).filter((step) => !step.startsWith('a'));
    if (rows.length === 0) throw new Error('--interleave needs a node row in --steps (each brings its own baseline)');
    if (rows.includes('h')) throw new Error('--interleave: (h) has its own warm-up and is measured alone; leave it out of --steps');
    if (options.interleave > options.durationSec) throw new Error('--interleave: a turn cannot be longer than --duration');
  }
  if (options.compare !== undefined && options.scale) throw new Error('--compare cannot be combined with --scale');
  if (options.workingSet > options.identifiers) throw new Error('--working-set must not exceed --identifiers');
  if (options.scale && options.steps) throw new Error('--steps cannot be combined with --scale');
  if (options.scale && options.scaleIdentifiers <= options.identifiers) throw new Error('--scale-identifiers must exceed --identifiers');
  if (args.some((a) => a.startsWith('--scale=')) && args.some((a) => a.startsWith('--scale-identifiers='))) throw new Error('give the size once: --scale=N or --scale-identifiers=N');
  return options;
}

export function log(message: string): void {
  process.stderr.write(`[resolution] ${message}\n`);
}
