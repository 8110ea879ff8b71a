/**
 * The measurements of the resolution benchmark: per row, the server started fresh, one checked
 * request, any pre-warm, then the load from a separate process (tests/support/benchmark/load-runner.ts:
 * libs/loadgen's closed loop on autocannon), reading the server's CPU, the node's own counters and
 * the database's activity.
 */
import type { Client } from 'pg';
import { type LoadConfig, type LoadKeys, runLoad } from '../../tests/support/benchmark/load';
import type { RunningNode } from '../../tests/support/benchmark/server-process';
import { round } from '../../tests/support/benchmark/stats';
import { fmt } from './report';
import { deleteKeys, startBaseline, startNode, waitUntilLinked } from './setup';
import {
  type Context,
  type DatabaseActivity,
  FOREIGN_PREFIX,
  LABELS,
  LIMITER_ON_ENV,
  log,
  type Measurement,
  PAD,
  PATH_PREFIX,
  type StepId,
  SUFFIX_PREFIX,
  UNKNOWN_PREFIX,
} from './suite';

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

export async function measure(ctx: Context, step: StepId, roundNo: number, identifiers: number, compared = false): Promise<Measurement> {
  const { keys, distribution, describe } = keysFor(ctx, step, identifiers);
  let server: RunningNode;
  let env: Record<string, string> | undefined;
  const isNode = !step.startsWith('a');
  const pgBefore = await pgCounters(ctx.db);
  if (step === 'a') server = await startBaseline(ctx, 'static');
  else if (step === 'a2') server = await startBaseline(ctx, 'redis');
  else if (step === 'a3') server = await startBaseline(ctx, 'pg');
  else {
    env = step === 'b' || step === 'e' || step === 'f' || step === 'g' ? cacheEnv(true, true) : step === 'c' ? cacheEnv(false, true) : cacheEnv(false, false);
    if (step === 'b-rl') env = { ...cacheEnv(true, true), ...LIMITER_ON_ENV };
    if (step === 'g') {
      if (!ctx.federation) throw new Error('(g) needs the federation set up');
      env = { ...env, ...ctx.federation.nearEnv };
    }
    // (e) starts cold: nothing of earlier runs in L2 (L1 is new with the process anyway).
    if (step === 'e') await deleteKeys(ctx.redis, `${ctx.nodeEnv.REDIS_KEY_PREFIX}*`);
    server = await startNode({ ...ctx.nodeEnv, ...env }, compared ? ctx.options.compare : undefined);
    if (step === 'g') await waitUntilLinked(server.baseUrl);
  }
  let m: Measurement;
  let requestsSent = 1;
  try {
    await checkReply(ctx, step, server.baseUrl, keys);
    // (b), (c) and (g) measure hits: every key of the working set is loaded once before the warm-up.
    if (step === 'b' || step === 'b-rl' || step === 'c' || step === 'g') {
      await prewarm(server.baseUrl, ctx.workingSet, pathPrefixOf(step));
      requestsSent += ctx.workingSet.length;
    }
    const countersBefore = isNode ? await scrapeCounters(server.baseUrl) : undefined;
    const result = await runLoad(
      {
        url: server.baseUrl,
        pathPrefix: pathPrefixOf(step),
        keys,
        distribution,
        zipfS: ctx.options.zipfS,
        seed: ctx.options.seed,
        connections: ctx.options.connections,
        durationSec: ctx.options.durationSec,
        warmupSec: ctx.options.warmupSec,
        serverPid: server.child.pid,
        answers: step === 'f' ? 'not-found' : 'found',
      },
      ctx.scratch,
    );
    const countersAfter = isNode ? await scrapeCounters(server.baseUrl) : undefined;
    requestsSent += result.warmupRequests + result.requests;
    m = { step, label: `${LABELS[step]}${compared ? ' [compared build]' : ''}`, compared, round: roundNo, identifiers, keys: describe, env, result, nodeCounters: counterDeltas(countersBefore, countersAfter) };
  } finally {
    await server.stop();
  }
  // A backend flushes its statistics when it exits: wait for the server's connections to go.
  await backendsGone(ctx.db);
  m.database = activity(pgBefore, await pgCounters(ctx.db), requestsSent);
  const { result } = m;
  const bad = result.errors + result.timeouts + (step === 'f' ? result.ok2xx : result.non2xx) + (result.wrongAnswers ?? 0);
  log(
    `${m.label} [${describe}]: ${Math.round(result.reqPerSec).toLocaleString('en')} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, ` +
      `server ${result.serverCpuUsPerReq !== undefined ? round(result.serverCpuUsPerReq) : '?'} µs CPU/req, ${fmt(m.database.transactionsPerRequest, 2)} DB transactions/req` +
      `${bad > 0 ? `, ${bad} unexpected answers/errors` : ''}`,
  );
  return m;
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
