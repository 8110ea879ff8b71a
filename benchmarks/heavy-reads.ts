/**
 * Heavy-reads benchmark (`npm run bench -- heavy-reads`): uncached resolution latency while heavy
 * traces run, against the same node's idle latency measured in the same run.
 *
 * The built secondary node runs as its own process (the V8 flags of `npm start`) on a scratch
 * database seeded with the crafted genealogy of tests/integration/heavy-reads.spec.ts (20 layers
 * of 10 lots, each made from all 10 lots below: a depth-20 trace is cut by its work budget). Both
 * cache tiers are off, so every resolution is a database-tier lookup on the main pool. The bench
 * process resolves --samples handles one after another, alternating idle phases and loaded phases
 * (--tracers traces looping in a separate process), --rounds times, with a final idle phase; each
 * percentile is over all the samples of its kind, so that a passing disturbance of the shared
 * machine does not decide the figure. Target: loaded p99 ≤ 2 × idle p99.
 *
 * Options: --rounds=3, --samples=200 (resolutions per phase), --tracers=10, --pool=1
 * (HEAVY_READ_POOL_SIZE; 1 as in the spec, for a 2-core machine).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { creditCodeCheckCharacter } from '@idis/identifier';
import { type RunningNode, startNodeProcess } from '../tests/support/benchmark/server-process';
import { type LatencySummary, round, summarise } from '../tests/support/benchmark/stats';
import { epcisDocument } from '../tests/support/epcis-seed';
import { freePort } from '../tests/support/free-port';
import { craftedGenealogy, HEAVY_BACKENDS_SQL, HEAVY_PREFIX as PREFIX, HEAVY_TRACE_PATH, underHeavyLoad } from '../tests/support/heavy-read-load';
import { createScratchDatabase } from '../tests/support/test-database';
import { waitFor } from '../tests/support/wait-for';

const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const HANDLES = 100;

interface Settings {
  rounds: number;
  samples: number;
  tracers: number;
  pool: number;
}

interface Tokens {
  operator: string;
  enterprise: string;
}

function option(args: string[], name: string, fallback: number): number {
  const found = args.find((a) => a.startsWith(`--${name}=`));
  const value = found ? Number(found.split('=')[1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

function log(message: string): void {
  process.stdout.write(`[heavy-reads] ${message}\n`);
}

export async function runHeavyReadsBenchmark(args: string[]): Promise<void> {
  const settings: Settings = { rounds: option(args, 'rounds', 3), samples: option(args, 'samples', 200), tracers: option(args, 'tracers', 10), pool: option(args, 'pool', 1) };
  const database = await createScratchDatabase(`idis_bench_${randomBytes(4).toString('hex')}`, ADMIN_URL);
  const db = new Client({ connectionString: database.url });
  let node: RunningNode | undefined;
  try {
    node = await startNodeProcess(
      {
        DATABASE_URL: database.url,
        OPERATOR_PASSWORD: 'bench-operator-1',
        JWT_SECRET: randomBytes(32).toString('hex'),
        CACHE_L1_ENABLED: 'false',
        CACHE_L2_ENABLED: 'false',
        HEAVY_READ_POOL_SIZE: String(settings.pool),
        HEAVY_READ_STATEMENT_TIMEOUT_MS: '3000',
      },
      await freePort(),
    );
    await db.connect();
    const tokens = await seed(node.baseUrl);
    log(`node up, ${HANDLES} handles and ${craftedGenealogy().length} crafted events seeded; warming up`);
    await resolutionLatencies(node.baseUrl, settings.samples);

    const idle: number[] = [];
    const loaded: number[] = [];
    const statuses: number[] = [];
    let peakHeavyBackends = 0;
    for (let r = 0; r < settings.rounds; r += 1) {
      idle.push(...(await resolutionLatencies(node.baseUrl, settings.samples)));
      const outcome = await underHeavyLoad(
        {
          traceUrl: `${node.baseUrl}${HEAVY_TRACE_PATH}`,
          token: tokens.operator,
          tracers: settings.tracers,
          countHeavyBackends: async () => (await db.query(HEAVY_BACKENDS_SQL)).rows[0].n as number,
        },
        () => resolutionLatencies((node as RunningNode).baseUrl, settings.samples),
      );
      loaded.push(...outcome.result);
      statuses.push(...outcome.statuses);
      peakHeavyBackends = Math.max(peakHeavyBackends, outcome.peakHeavyBackends);
      log(`round ${r + 1}: ${outcome.statuses.length} traces answered, heavy backends peak ${outcome.peakHeavyBackends}`);
    }
    idle.push(...(await resolutionLatencies(node.baseUrl, settings.samples)));
    report(settings, summarise(idle), summarise(loaded), statuses, peakHeavyBackends);
  } finally {
    await node?.stop();
    await db.end().catch(() => undefined);
    await database.drop();
  }
}

/** `samples` sequential uncached resolutions; their latencies in ms (a non-200 fails the run). */
async function resolutionLatencies(baseUrl: string, samples: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let n = 0; n < samples; n += 1) {
    const started = process.hrtime.bigint();
    const response = await fetch(`${baseUrl}/api/handles/${PREFIX}/item-${n % HANDLES}`);
    await response.arrayBuffer();
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (response.status !== 200) throw new Error(`resolution ${n}: ${response.status}`);
  }
  return latencies;
}

async function call(baseUrl: string, method: string, path: string, body: unknown, token?: string): Promise<any> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** An approved enterprise owning PREFIX, its handles item-0..99 and the crafted genealogy (captured over EPCIS REST). */
async function seed(baseUrl: string): Promise<Tokens> {
  const first17 = `91110108${String(Date.now() % 1e9).padStart(9, '0')}`;
  const application = await call(baseUrl, 'POST', '/api/v1/enterprises/applications', {
    orgName: 'Bench Manufacturing',
    creditCode: `${first17}${creditCodeCheckCharacter(first17)}`,
    contactName: 'Bench',
    contactPhone: '+86 27 8765 4321',
    contactEmail: 'bench@example.cn',
    requestedPrefix: PREFIX,
    username: 'bench',
    password: 'bench-password-1',
  });
  const operator = (await call(baseUrl, 'POST', '/api/v1/auth/token', { username: 'operator', password: 'bench-operator-1' })).accessToken as string;
  await call(baseUrl, 'POST', `/api/v1/enterprises/applications/${application.id}/approve`, {}, operator);
  const enterprise = (await call(baseUrl, 'POST', '/api/v1/auth/token', { username: 'bench', password: 'bench-password-1' })).accessToken as string;
  for (let i = 0; i < HANDLES; i += 1) {
    await call(baseUrl, 'PUT', `/api/handles/${PREFIX}/item-${i}`, [{ index: 1, type: 'URL', data: { format: 'string', value: `https://bench.example.cn/${i}` } }], enterprise);
  }
  const job = await call(baseUrl, 'POST', '/epcis/capture', epcisDocument(craftedGenealogy()), enterprise);
  let last: any = job;
  await waitFor(
    'the crafted genealogy to be captured',
    async () => {
      last = await call(baseUrl, 'GET', `/epcis/capture/${job.captureID}`, undefined, enterprise);
      return !last.running;
    },
    { timeoutMs: 60_000, intervalMs: 100, failOnError: true },
  );
  if (!last.success) throw new Error(`capture failed: ${JSON.stringify(last)}`);
  return { operator, enterprise };
}

function report(settings: Settings, idle: LatencySummary, loaded: LatencySummary, statuses: number[], peakHeavyBackends: number): void {
  const at = new Date().toISOString();
  const stamp = at.replace(/[:.]/g, '-');
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const ratio = { p50: loaded.p50 / idle.p50, p99: loaded.p99 / idle.p99 };
  const counts = new Map<number, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  const statusLine = [...counts.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s === -1 ? 'no answer' : s} × ${n}`).join(', ');
  const failed = statuses.filter((s) => s !== 200 && s !== 422).length;
  const met = loaded.p99 <= 2 * idle.p99;
  const lines = [
    `# Heavy-reads benchmark (${at})`,
    '',
    `Uncached resolution (CACHE_L1_ENABLED=false, CACHE_L2_ENABLED=false: every lookup on the database tier) of the built node in its own process, ${settings.samples} sequential GET /api/handles per phase from the bench process.`,
    `Idle phases alternate with loaded phases (${settings.tracers} tracers looping on the crafted depth-20 trace in a separate process), ${settings.rounds} rounds plus a final idle phase; each percentile is over all samples of its kind.`,
    `Settings: ${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(', ')} (pool = HEAVY_READ_POOL_SIZE). Machine: ${cpus().length} cores shared by the node, PostgreSQL, the tracers and the bench client (and other work).`,
    '',
    '| phase | samples | p50 ms | p99 ms | max ms | mean ms |',
    '|---|---:|---:|---:|---:|---:|',
    `| idle | ${idle.count} | ${idle.p50} | ${idle.p99} | ${idle.max} | ${idle.mean} |`,
    `| loaded | ${loaded.count} | ${loaded.p50} | ${loaded.p99} | ${loaded.max} | ${loaded.mean} |`,
    `| loaded ÷ idle | | ${ratio.p50.toFixed(2)} | ${ratio.p99.toFixed(2)} | | |`,
    '',
    `Heavy-read backends (pg_stat_activity, application_name 'idis-secondary-node-heavy-read', active), peak: ${peakHeavyBackends} (pool ${settings.pool}).`,
    `Traces: ${statuses.length} answered: ${statusLine}; ${failed === 0 ? 'none failed (all 200 partial/truncated or 422)' : `${failed} neither 200 nor 422`}.`,
    `Target loaded p99 ≤ 2 × idle p99: ${met ? 'met' : 'NOT met'} (${loaded.p99} ms vs ${idle.p99} ms, ${round(ratio.p99, 2)}×).`,
  ];
  writeFileSync(join(dir, `heavy-reads-${stamp}.json`), JSON.stringify({ suite: 'heavy-reads', at, settings, idle, loaded, ratio, peakHeavyBackends, statuses: Object.fromEntries(counts) }, null, 2));
  writeFileSync(join(dir, 'heavy-reads-latest.md'), `${lines.join('\n')}\n`);
  process.stdout.write(`\n${lines.join('\n')}\n`);
}
