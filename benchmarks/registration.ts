/**
 * Registration benchmark: 200,000 identifiers through SNMS batchCreate (batches of 2,000) against
 * the real PostgreSQL, next to the raw database limit measured in the same run: one
 * `INSERT … SELECT FROM unnest(…)` of 2,000 prepared rows per statement, into the same table.
 * The load goes through libs/loadgen (the engine of idis-loadtest): its register-batch operation,
 * bodies built before the clock starts, every item's answer checked.
 *
 * Then the bulk path: --import rows (default 200,000) as one CSV file through POST
 * /api/v1/prefixes/{prefix}/imports, next to the raw COPY of the same stored rows into identifiers
 * (one connection, one transaction), measured in the same run; --import=0 skips it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Pool } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { creditCodeCheckCharacter } from '@idis/identifier';
import { decodeHistogram, newRecord, runEngine, segmentsOf, summarise as summariseHistogram } from '@idis/loadgen';
import { cpuMillis, type RunningNode, startNodeProcess } from '../tests/support/benchmark/server-process';
import { round, summarise, type LatencySummary } from '../tests/support/benchmark/stats';
import { freePort } from '../tests/support/free-port';
import { createScratchDatabase } from '../tests/support/test-database';

const BATCH = 2000;
const PREFIX = '88.118.8';
const TEMPLATE = '1.0';
const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface ScenarioResult {
  scenario: string;
  identifiers: number;
  seconds: number;
  perSecond: number;
  batchMs: LatencySummary;
  serverCpuMsPerBatch?: number;
}

function option(args: string[], name: string, fallback: number): number {
  const found = args.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
}

export async function runRegistrationBenchmark(args: string[]): Promise<void> {
  const total = option(args, 'total', 200_000);
  const importRows = option(args, 'import', 200_000);
  const batches = Math.ceil(total / BATCH);
  const database = await createScratchDatabase(`idis_bench_${randomBytes(4).toString('hex')}`, ADMIN_URL);
  const { name: dbName, url: databaseUrl } = database;
  let node: RunningNode | undefined;
  const pool = new Pool({ connectionString: databaseUrl, max: 4 });
  try {
    log(`database ${dbName}; ${batches} batches of ${BATCH} per scenario`);
    node = await startNodeProcess(
      { DATABASE_URL: databaseUrl, OPERATOR_PASSWORD: 'bench-operator-1', JWT_SECRET: randomBytes(32).toString('hex') },
      await freePort(),
    );
    const token = await setUpEnterprise(node.baseUrl);
    const results: ScenarioResult[] = [];

    // Interleaved so that drift on a noisy machine hits baselines and node runs alike.
    for (const concurrency of [1, 2]) {
      await reset(pool);
      results.push(await rawUnnest(pool, batches, `raw-${concurrency}`, concurrency));
      await reset(pool);
      results.push(await throughNode(node, pool, token, batches, concurrency));
    }
    if (importRows > 0) {
      await reset(pool);
      results.push(await rawCopy(pool, importRows));
      await reset(pool);
      results.push(await csvImport(node, pool, token, importRows));
    }
    report(results, total, importRows);
  } finally {
    await node?.stop();
    await pool.end();
    await database.drop();
  }
}

async function setUpEnterprise(baseUrl: string): Promise<string> {
  const post = async (path: string, body: unknown, token?: string, method = 'POST') => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as any;
    if (response.status >= 300) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  const operator = (await post('/api/v1/auth/token', { username: 'operator', password: 'bench-operator-1' })).accessToken;
  const first17 = '91420100MA4K00001';
  const application = await post('/api/v1/enterprises/applications', {
    orgName: 'Bench Tools Co.',
    creditCode: `${first17}${creditCodeCheckCharacter(first17)}`,
    contactName: 'Li Si',
    contactPhone: '+86 714 000 0000',
    contactEmail: 'bench@example.cn',
    requestedPrefix: PREFIX,
    username: 'bench',
    password: 'bench-password-1',
  });
  await post(`/api/v1/enterprises/applications/${application.id}/approve`, {}, operator);
  const token = (await post('/api/v1/auth/token', { username: 'bench', password: 'bench-password-1' })).accessToken;
  await post(
    '/snms/api/v5/template',
    {
      prefix: PREFIX,
      version: TEMPLATE,
      industryCategory: 'C',
      industrySpecific: '34',
      industryTrade: '342',
      industrySubclass: '3421',
      type: 1,
      items: [
        { name: '产品名称', idType: 'name', required: true, metadata: { type: 'string', minLength: 1, maxLength: 64 } },
        { name: '型号', idType: 'model', metadata: { type: 'string', minLength: 0, maxLength: 32 } },
        { name: '产品页面', idType: 'url', metadata: { type: 'string', minLength: 0, maxLength: 255 } },
      ],
    },
    token,
  );
  return token;
}

/** The i-th record (0-based) of a run: what loadgen's register-batch sends as its (i + 1)-th. */
function item(run: string, i: number) {
  return newRecord(PREFIX, run, i + 1, TEMPLATE, 'batch');
}

/** The values the node stores for item(): so the raw baseline writes the same bytes. */
function storedValues(run: string, i: number, timestamp: string): string {
  const source = item(run, i);
  return JSON.stringify([
    { index: 1001, type: 'TEMPLATE', data: { format: 'string', value: TEMPLATE }, ttl: 86400, timestamp },
    ...source.value.map((v) => ({ index: v.index, type: v.type, data: v.data, ttl: 86400, timestamp })),
  ]);
}

async function rawUnnest(pool: Pool, batches: number, run: string, concurrency = 1): Promise<ScenarioResult> {
  const timestamp = `${new Date().toISOString().slice(0, 19)}Z`;
  const prepared = Array.from({ length: batches }, (_, b) => {
    const keys: string[] = [];
    const handles: string[] = [];
    const prefixes: string[] = [];
    const values: string[] = [];
    const templates: string[] = [];
    for (let i = b * BATCH; i < (b + 1) * BATCH; i += 1) {
      const handle = item(run, i).handle;
      keys.push(handle.toLowerCase());
      handles.push(handle);
      prefixes.push(PREFIX);
      values.push(storedValues(run, i, timestamp));
      templates.push(TEMPLATE);
    }
    return [keys, handles, prefixes, values, templates];
  });
  await pool.query('CHECKPOINT');
  const latencies: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  const worker = async () => {
    const client = await pool.connect();
    try {
      for (let b = next++; b < prepared.length; b = next++) {
        const t0 = process.hrtime.bigint();
        await client.query({
          name: 'bench-raw-unnest',
          text: `INSERT INTO identifiers (handle_key, handle, prefix_key, "values", template_version)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[])
                 ON CONFLICT (handle_key, prefix_key) DO NOTHING RETURNING handle_key`,
          values: prepared[b],
        });
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    } finally {
      client.release();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stored = await countRows(pool);
  if (stored !== batches * BATCH) throw new Error(`raw baseline stored ${stored} rows, expected ${batches * BATCH}`);
  const result = { scenario: `raw unnest INSERT, ${concurrency} connection${concurrency > 1 ? 's' : ''} (baseline ${run})`, identifiers: stored, seconds: round(seconds, 2), perSecond: Math.round(stored / seconds), batchMs: summarise(latencies) };
  log(`${result.scenario}: ${result.perSecond} rows/s`);
  return result;
}

async function throughNode(node: RunningNode, pool: Pool, token: string, batches: number, concurrency: number): Promise<ScenarioResult> {
  const run = `c${concurrency}`;
  await pool.query('CHECKPOINT');
  const cpuBefore = cpuMillis(node.child.pid as number);
  const part = await runEngine(
    {
      target: node.baseUrl,
      model: 'closed',
      driver: 'agent',
      // Bounded by the count; the duration is only the safety limit.
      segments: segmentsOf([{ kind: 'constant', duration: 3600 }], 0),
      connections: concurrency,
      operations: [{ kind: 'register-batch', weight: 1, batchSize: BATCH, pregenerate: batches }],
      keys: { prefix: PREFIX, source: { list: ['unused'] }, distribution: { kind: 'cycle' } },
      context: { token, prefix: PREFIX, templateVersion: TEMPLATE, runTag: run, mqttTopicRoot: 'idis/v1' },
      timeoutMs: 600_000,
      maxRequests: batches,
      maxInFlight: concurrency,
      workerIndex: 0,
    },
    new AbortController().signal,
  );
  const seconds = part.wallSeconds;
  const cpuAfter = cpuMillis(node.child.pid as number);
  const stored = await countRows(pool);
  if (part.errors > 0 || stored !== batches * BATCH) throw new Error(`node stored ${stored} of ${batches * BATCH} (${part.errors} failed batches: ${JSON.stringify(part.errorsByKind)})`);
  const latency = summariseHistogram(decodeHistogram(part.histogram));
  const result: ScenarioResult = {
    scenario: `SNMS batchCreate over HTTP, ${concurrency} concurrent batch${concurrency > 1 ? 'es' : ''}`,
    identifiers: stored,
    seconds: round(seconds, 2),
    perSecond: Math.round(stored / seconds),
    batchMs: { count: latency.count, p50: round(latency.p50), p99: round(latency.p99), max: round(latency.max), mean: round(latency.mean) },
    serverCpuMsPerBatch: cpuBefore !== undefined && cpuAfter !== undefined ? round((cpuAfter - cpuBefore) / batches) : undefined,
  };
  log(`${result.scenario}: ${result.perSecond} identifiers/s`);
  return result;
}

/** The raw bulk limit: the stored rows of the import written with one COPY into identifiers, in one transaction. */
async function rawCopy(pool: Pool, rows: number): Promise<ScenarioResult> {
  const run = 'copy';
  const timestamp = `${new Date().toISOString().slice(0, 19)}Z`;
  const chunks: string[] = [];
  for (let start = 0; start < rows; start += BATCH) {
    let chunk = '';
    for (let i = start; i < Math.min(rows, start + BATCH); i += 1) {
      const handle = item(run, i).handle;
      chunk += `${handle.toLowerCase()}\t${handle}\t${PREFIX}\t${storedValues(run, i, timestamp).replace(/\\/g, '\\\\')}\t${TEMPLATE}\n`;
    }
    chunks.push(chunk);
  }
  await pool.query('CHECKPOINT');
  const client = await pool.connect();
  const started = process.hrtime.bigint();
  try {
    await client.query('BEGIN');
    await pipeline(Readable.from(chunks), client.query(copyFrom('COPY identifiers (handle_key, handle, prefix_key, "values", template_version) FROM STDIN')));
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stored = await countRows(pool);
  if (stored !== rows) throw new Error(`raw COPY stored ${stored} rows, expected ${rows}`);
  const result: ScenarioResult = { scenario: `raw COPY of the same rows into identifiers, 1 connection (baseline ${run})`, identifiers: stored, seconds: round(seconds, 2), perSecond: Math.round(stored / seconds), batchMs: summarise([seconds * 1000]) };
  log(`${result.scenario}: ${result.perSecond} rows/s`);
  return result;
}

/** One CSV file of `rows` identifiers (built before the clock starts) through the node's import route. */
async function csvImport(node: RunningNode, pool: Pool, token: string, rows: number): Promise<ScenarioResult> {
  const run = 'csv';
  const cell = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  const lines = ['suffix,name,model'];
  for (let i = 0; i < rows; i += 1) {
    const record = item(run, i);
    const valueOf = (type: string) => record.value.find((v) => v.type === type)?.data.value ?? '';
    lines.push(`${cell(record.handle.slice(PREFIX.length + 1))},${cell(valueOf('name'))},${cell(valueOf('model'))}`);
  }
  const body = Buffer.from(`${lines.join('\n')}\n`);
  await pool.query('CHECKPOINT');
  const cpuBefore = cpuMillis(node.child.pid as number);
  const started = process.hrtime.bigint();
  const response = await fetch(`${node.baseUrl}/api/v1/prefixes/${PREFIX}/imports?templateVersion=${TEMPLATE}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body,
  });
  const reply = (await response.json()) as { stored?: number };
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuAfter = cpuMillis(node.child.pid as number);
  const stored = await countRows(pool);
  if (response.status !== 201 || reply.stored !== rows || stored !== rows) throw new Error(`CSV import: ${response.status} ${JSON.stringify(reply).slice(0, 500)}; ${stored} rows in the table`);
  const result: ScenarioResult = {
    scenario: `CSV import over HTTP (COPY), one file of ${rows.toLocaleString('en')} rows (${(body.length / 1048576).toFixed(1)} MiB)`,
    identifiers: stored,
    seconds: round(seconds, 2),
    perSecond: Math.round(stored / seconds),
    batchMs: summarise([seconds * 1000]),
    serverCpuMsPerBatch: cpuBefore !== undefined && cpuAfter !== undefined ? round(((cpuAfter - cpuBefore) * BATCH) / rows) : undefined,
  };
  log(`${result.scenario}: ${result.perSecond} identifiers/s`);
  return result;
}

async function reset(pool: Pool): Promise<void> {
  await pool.query('TRUNCATE identifiers');
}

async function countRows(pool: Pool): Promise<number> {
  return Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM identifiers')).rows[0].n);
}

function report(results: ScenarioResult[], total: number, importRows: number): void {
  const baselineFor = (r: ScenarioResult) => results[results.indexOf(r) - (r.scenario.startsWith('raw') ? 0 : 1)].perSecond;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const best = Math.max(...results.filter((r) => r.scenario.startsWith('SNMS')).map((r) => r.perSecond));
  const lines = [
    `# Registration benchmark (${new Date().toISOString()})`,
    '',
    `${total.toLocaleString('en')} identifiers per scenario in batches of ${BATCH}, real PostgreSQL at ${new URL(ADMIN_URL).host}, ${process.platform} ${process.arch}, Node ${process.version}.`,
    'Each node run is preceded by its baseline: the raw INSERT … SELECT FROM unnest(…) of the same rows over as many connections as the node gets concurrent batches.',
    ...(importRows > 0
      ? [
          `The bulk path: ${importRows.toLocaleString('en')} rows as one CSV file through POST /api/v1/prefixes/{prefix}/imports (streamed, checked per row, COPY into a staging table, one INSERT … SELECT, one transaction), after its baseline: the raw COPY of the same stored rows straight into identifiers in one transaction. For these two rows "batch" is the whole file (p50 = p99 = its wall time) and the CPU column is per 2,000 rows.`,
        ]
      : []),
    `Load average at the end of the run: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (${cpus().length} CPUs, shared machine).`,
    '',
    '| scenario | identifiers/s | × its baseline | batch p50 ms | batch p99 ms | node CPU ms/batch |',
    '|---|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) => `| ${r.scenario} | ${r.perSecond.toLocaleString('en')} | ${round(r.perSecond / baselineFor(r), 2)} | ${r.batchMs.p50} | ${r.batchMs.p99} | ${r.serverCpuMsPerBatch ?? '–'} |`,
    ),
    '',
    `Target ≥ 20,000 identifiers/s through the node: ${best >= 20_000 ? 'met' : 'NOT met'} (best ${best.toLocaleString('en')}/s).`,
  ];
  writeFileSync(join(dir, `registration-${stamp}.json`), JSON.stringify({ suite: 'registration', at: new Date().toISOString(), total, batch: BATCH, results: results.map((r) => ({ ...r, ratioToBaseline: round(r.perSecond / baselineFor(r), 3) })) }, null, 2));
  writeFileSync(join(dir, 'registration-latest.md'), `${lines.join('\n')}\n`);
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

function log(message: string): void {
  process.stderr.write(`[registration] ${message}\n`);
}
