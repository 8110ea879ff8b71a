/**
 * Statistics benchmark (`npm run bench -- statistics`): the long-range charts of the operator
 * overview with a year of per-minute counters for 100 enterprise prefixes, against the same sums
 * computed from the raw minute rows in the same run.
 *
 * The built secondary node runs as its own process on a scratch database. 100 enterprises are
 * approved through the API (prefixes 88.118.1000–88.118.1099). A year of minute rows up to now is
 * seeded with generate_series: prefix p has counts in minute m when (m + p) % --every = 0 (every
 * 10th minute by default: each minute of the year has counts of 10 prefixes), one resolution row
 * (l1 70 %, db 20 %, not_found 10 %) and one door row (Handle REST 50 %, proxy 30 %, SNMS 20 %) per
 * such cell, and a registration row in about one cell an hour. The rows are inserted with the roll-up
 * triggers off and the roll-ups then built by usage_rollup_rebuild (the migration's backfill), so
 * the seeding time is bounded and the backfill is timed too.
 *
 * Measured over HTTP with an operator token, --samples sequential requests each (p50/p95 in ms):
 * the node-wide last 24 hours at 1m (read from the minute rows: no roll-up is finer), the node-wide 30 days at 1h (from a whole hour), the node-wide and one prefix's 12 months at 1d
 * (from a Beijing midnight), the overview and the month's top 10. The baseline: the same series
 * summed from the raw minute rows by the pre-roll-up query, run directly on PostgreSQL
 * (--baseline-samples each; it takes seconds), and the roll-up query likewise, so the ratio
 * compares SQL with SQL. Every rolled-up answer is checked against the raw sums. Target: ≤ 200 ms.
 *
 * Options: --every=10, --samples=20, --baseline-samples=5.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { creditCodeCheckCharacter } from '@idis/identifier';
import { type RunningNode, startNodeProcess } from '../tests/support/benchmark/server-process';
import { percentile, round } from '../tests/support/benchmark/stats';
import { freePort } from '../tests/support/free-port';
import { createScratchDatabase } from '../tests/support/test-database';

const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PREFIXES = 100;
const TIME_ZONE = 'Asia/Shanghai';
const TARGET_MS = 200;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const BEIJING_OFFSET_MS = 8 * 3600_000;

interface Settings {
  every: number;
  samples: number;
  baselineSamples: number;
}

interface Summary {
  count: number;
  p50: number;
  p95: number;
  max: number;
}

interface Row {
  name: string;
  http: Summary;
  rollupSql?: Summary;
  rawSql?: Summary;
}

function option(args: string[], name: string, fallback: number): number {
  const found = args.find((a) => a.startsWith(`--${name}=`));
  const value = found ? Number(found.split('=')[1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

function log(message: string): void {
  process.stdout.write(`[statistics] ${message}\n`);
}

function summary(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { count: sorted.length, p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), max: round(sorted[sorted.length - 1] ?? NaN) };
}

async function timed<T>(run: () => Promise<T>): Promise<[number, T]> {
  const started = process.hrtime.bigint();
  const result = await run();
  return [Number(process.hrtime.bigint() - started) / 1e6, result];
}

async function samplesOf<T>(count: number, run: () => Promise<T>): Promise<{ summary: Summary; last: T }> {
  const latencies: number[] = [];
  let last: T | undefined;
  for (let i = 0; i < count; i += 1) {
    const [ms, result] = await timed(run);
    latencies.push(ms);
    last = result;
  }
  return { summary: summary(latencies), last: last as T };
}

export async function runStatisticsBenchmark(args: string[]): Promise<void> {
  const settings: Settings = { every: option(args, 'every', 10), samples: option(args, 'samples', 20), baselineSamples: option(args, 'baseline-samples', 5) };
  const database = await createScratchDatabase(`idis_bench_${randomBytes(4).toString('hex')}`, ADMIN_URL);
  const db = new Client({ connectionString: database.url });
  let node: RunningNode | undefined;
  try {
    node = await startNodeProcess(
      {
        DATABASE_URL: database.url,
        OPERATOR_PASSWORD: 'bench-operator-1',
        JWT_SECRET: randomBytes(32).toString('hex'),
        STATS_TIME_ZONE: TIME_ZONE,
        // The heavy-read pool answers the series; a raw year would need far more than its default timeout.
        HEAVY_READ_STATEMENT_TIMEOUT_MS: '60000',
      },
      await freePort(),
    );
    await db.connect();
    const operator = await enterprises(node.baseUrl);
    log(`node up, ${PREFIXES} enterprises approved; seeding a year of minute rows (every ${settings.every}th minute per prefix)`);
    const seeded = await seedYear(db, settings.every);
    log(`seeded ${seeded.minuteRows.toLocaleString('en')} minute rows in ${round(seeded.insertMs / 1000)} s; roll-ups built in ${round(seeded.rollupMs / 1000)} s (${seeded.hourlyRows.toLocaleString('en')} hourly, ${seeded.dailyRows.toLocaleString('en')} daily rows)`);

    const now = Date.now();
    const todayBeijing = Math.floor((now + BEIJING_OFFSET_MS) / DAY_MS) * DAY_MS - BEIJING_OFFSET_MS;
    const to = Math.floor(now / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    const cases = [
      { name: '24 hours, step 1m, node-wide (minute rows)', from: to - 1440 * MINUTE_MS, step: '1m', stepMs: MINUTE_MS, prefix: undefined },
      { name: '30 days, step 1h, node-wide', from: Math.floor(now / 3600_000) * 3600_000 - 29 * DAY_MS - 23 * 3600_000, step: '1h', stepMs: 3600_000, prefix: undefined },
      { name: '12 months, step 1d, node-wide', from: todayBeijing - 364 * DAY_MS, step: '1d', stepMs: DAY_MS, prefix: undefined },
      { name: '12 months, step 1d, one prefix', from: todayBeijing - 364 * DAY_MS, step: '1d', stepMs: DAY_MS, prefix: '88.118.1042' },
    ];
    const rows: Row[] = [];
    for (const c of cases) {
      const path = `/api/v1/stats/resolutions?step=${c.step}&from=${new Date(c.from).toISOString()}&to=${new Date(to).toISOString()}${c.prefix ? `&prefix=${c.prefix}` : ''}`;
      const http = await samplesOf(settings.samples, () => getJson(node as RunningNode, path, operator));
      const raw = await samplesOf(settings.baselineSamples, () => rawSeries(db, c.from, to, c.stepMs / 1000, c.prefix));
      const rollup = await samplesOf(settings.samples, () => rollupSeries(db, c.from, to, c.stepMs, c.prefix));
      const answered = (http.last.series as Array<{ total: number }>).map((p) => p.total);
      const expected = raw.last;
      if (JSON.stringify(answered) !== JSON.stringify(expected)) throw new Error(`${c.name}: the API's totals differ from the raw minute sums`);
      rows.push({ name: c.name, http: http.summary, rollupSql: rollup.summary, rawSql: raw.summary });
      log(`${c.name}: HTTP p50 ${http.summary.p50} ms p95 ${http.summary.p95} ms; raw SQL p50 ${raw.summary.p50} ms (${answered.length} points, equal to the raw sums)`);
    }
    const overview = await samplesOf(settings.samples, () => getJson(node as RunningNode, '/api/v1/stats/overview', operator));
    const rawOverview = await samplesOf(settings.baselineSamples, () => rawOverviewSums(db, todayBeijing));
    if (overview.last.resolutions.cumulative !== rawOverview.last.cumulative) throw new Error(`overview: cumulative ${overview.last.resolutions.cumulative} ≠ raw ${rawOverview.last.cumulative}`);
    rows.push({ name: 'overview', http: overview.summary, rawSql: rawOverview.summary });
    const top = await samplesOf(settings.samples, () => getJson(node as RunningNode, '/api/v1/stats/top-prefixes', operator));
    if (top.last.items.length !== 10) throw new Error(`top prefixes: ${top.last.items.length} items`);
    rows.push({ name: 'top 10 prefixes, this month', http: top.summary });
    report(settings, seeded, rows);
  } finally {
    await node?.stop();
    await db.end().catch(() => undefined);
    await database.drop();
  }
}

async function getJson(node: RunningNode, path: string, token: string): Promise<any> {
  const response = await fetch(`${node.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
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

/** 100 approved enterprises, 88.118.1000 … 88.118.1099; returns an operator token. */
async function enterprises(baseUrl: string): Promise<string> {
  const operator = (await call(baseUrl, 'POST', '/api/v1/auth/token', { username: 'operator', password: 'bench-operator-1' })).accessToken as string;
  const stamp = String(Date.now() % 1e6).padStart(6, '0');
  for (let batch = 0; batch < PREFIXES; batch += 10) {
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const n = batch + i;
        const first17 = `911101${stamp}${String(n).padStart(5, '0')}`;
        const application = await call(baseUrl, 'POST', '/api/v1/enterprises/applications', {
          orgName: `Bench Enterprise ${n}`,
          creditCode: `${first17}${creditCodeCheckCharacter(first17)}`,
          contactName: 'Bench',
          contactPhone: '+86 27 8765 4321',
          contactEmail: `bench${n}@example.cn`,
          requestedPrefix: `88.118.${1000 + n}`,
          username: `bench${n}`,
          password: 'bench-password-1',
        });
        await call(baseUrl, 'POST', `/api/v1/enterprises/applications/${application.id}/approve`, {}, operator);
      }),
    );
  }
  return operator;
}

/** A year of minute rows up to now (see the file comment), inserted without triggers, then the backfill. */
async function seedYear(db: Client, every: number) {
  await db.query(`ALTER TABLE usage_counts DISABLE TRIGGER USER`);
  const [insertMs] = await timed(() =>
    db.query(
      `WITH bounds AS (SELECT extract(epoch FROM now())::bigint / 60 - 525600 AS first, extract(epoch FROM now())::bigint / 60 AS last),
       cells AS MATERIALIZED (
         SELECT p, m FROM bounds, generate_series(0, ${PREFIXES - 1}) p,
                LATERAL generate_series(first + ($1::int - (first + p) % $1::int) % $1::int, last, $1::int) m)
       INSERT INTO usage_counts (prefix_key, minute, kind, outcome, count)
       SELECT '88.118.' || (1000 + p), to_timestamp(m * 60), 'resolution',
              CASE WHEN (m * 7 + p) % 10 < 7 THEN 'l1' WHEN (m * 7 + p) % 10 < 9 THEN 'db' ELSE 'not_found' END, 1 + (m + p) % 5
         FROM cells
       UNION ALL
       SELECT '88.118.' || (1000 + p), to_timestamp(m * 60), 'door',
              CASE WHEN (m * 3 + p) % 10 < 5 THEN 'handle_rest' WHEN (m * 3 + p) % 10 < 8 THEN 'proxy' ELSE 'snms' END, 1 + (m + p) % 5
         FROM cells
       UNION ALL
       SELECT '88.118.' || (1000 + p), to_timestamp(m * 60), 'registration', 'create', 1 + p % 3
         FROM cells WHERE (m / $1::int) % (60 / $1::int + 1) = 0`,
      [every],
    ),
  );
  await db.query(`ALTER TABLE usage_counts ENABLE TRIGGER USER`);
  const [rollupMs] = await timed(() => db.query(`SELECT usage_rollup_rebuild($1)`, [TIME_ZONE]));
  await db.query(`ANALYZE usage_counts; ANALYZE usage_counts_hourly; ANALYZE usage_counts_daily`);
  const count = async (table: string) => Number((await db.query(`SELECT count(*)::bigint AS n FROM ${table}`)).rows[0].n);
  return { insertMs, rollupMs, minuteRows: await count('usage_counts'), hourlyRows: await count('usage_counts_hourly'), dailyRows: await count('usage_counts_daily') };
}

/** The series totals per point from the raw minute rows: the query the series ran before the roll-ups. */
async function rawSeries(db: Client, fromMs: number, toMs: number, stepSeconds: number, prefix: string | undefined): Promise<number[]> {
  const rows = await db.query<{ bucket: number; n: string }>(
    `SELECT ((extract(epoch FROM minute)::bigint - $1::bigint) / $3::bigint)::int AS bucket, sum(count)::text AS n
       FROM usage_counts
      WHERE kind = 'resolution' AND minute >= to_timestamp($1::bigint) AND minute < to_timestamp($2::bigint) ${prefix ? 'AND prefix_key = $4' : ''}
      GROUP BY 1`,
    prefix ? [fromMs / 1000, toMs / 1000, stepSeconds, prefix] : [fromMs / 1000, toMs / 1000, stepSeconds],
  );
  return totalsPerPoint(rows.rows, Math.ceil((toMs - fromMs) / (stepSeconds * 1000)));
}

/** The same series from the roll-ups as the node reads it: whole days or hours, then the tail in minutes. */
async function rollupSeries(db: Client, fromMs: number, toMs: number, stepMs: number, prefix: string | undefined): Promise<number[]> {
  if (stepMs === MINUTE_MS) return rawSeries(db, fromMs, toMs, 60, prefix);
  const key = prefix ?? '*';
  const wholeEnd = stepMs === DAY_MS ? fromMs + Math.floor((toMs - fromMs) / DAY_MS) * DAY_MS : Math.floor(toMs / 3600_000) * 3600_000;
  const head =
    stepMs === DAY_MS
      ? `SELECT (day - (to_timestamp($1::bigint) AT TIME ZONE '${TIME_ZONE}')::date)::int AS bucket, count FROM usage_counts_daily
          WHERE prefix_key = $4 AND kind = 'resolution' AND day >= (to_timestamp($1::bigint) AT TIME ZONE '${TIME_ZONE}')::date AND day < (to_timestamp($5::bigint) AT TIME ZONE '${TIME_ZONE}')::date`
      : `SELECT ((extract(epoch FROM hour)::bigint - $1::bigint) / $3::bigint)::int AS bucket, count FROM usage_counts_hourly
          WHERE prefix_key = $4 AND kind = 'resolution' AND hour >= to_timestamp($1::bigint) AND hour < to_timestamp($5::bigint)`;
  const rows = await db.query<{ bucket: number; n: string }>(
    `SELECT bucket, sum(count)::text AS n FROM (${head}
       UNION ALL SELECT ((extract(epoch FROM minute)::bigint - $1::bigint) / $3::bigint)::int, count FROM usage_counts
        WHERE kind = 'resolution' AND minute >= to_timestamp($5::bigint) AND minute < to_timestamp($2::bigint) ${prefix ? 'AND prefix_key = $4' : ''}) s
      GROUP BY 1`,
    [fromMs / 1000, toMs / 1000, stepMs / 1000, key, wholeEnd / 1000],
  );
  return totalsPerPoint(rows.rows, Math.ceil((toMs - fromMs) / stepMs));
}

function totalsPerPoint(rows: Array<{ bucket: number; n: string }>, points: number): number[] {
  const totals = new Array<number>(points).fill(0);
  for (const row of rows) totals[row.bucket] += Number(row.n);
  return totals;
}

/** The overview's sums from the raw minute rows: today, the 30 days before, everything. */
async function rawOverviewSums(db: Client, todayStartMs: number): Promise<{ cumulative: number }> {
  const rows = await db.query<{ today: string; last30: string; cumulative: string }>(
    `SELECT coalesce(sum(count) FILTER (WHERE minute >= to_timestamp($1::bigint)), 0)::text AS today,
            coalesce(sum(count) FILTER (WHERE minute >= to_timestamp($1::bigint) - interval '30 days' AND minute < to_timestamp($1::bigint)), 0)::text AS last30,
            sum(count)::text AS cumulative
       FROM usage_counts WHERE kind = 'resolution'`,
    [todayStartMs / 1000],
  );
  return { cumulative: Number(rows.rows[0].cumulative) };
}

function report(settings: Settings, seeded: Awaited<ReturnType<typeof seedYear>>, rows: Row[]): void {
  const at = new Date().toISOString();
  const stamp = at.replace(/[:.]/g, '-');
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const cell = (s: Summary | undefined) => (s ? `${s.p50} / ${s.p95}` : '–');
  const ratio = (row: Row) => (row.rawSql && row.rollupSql ? `${round(row.rawSql.p50 / row.rollupSql.p50, 0)}×` : row.rawSql ? `${round(row.rawSql.p50 / row.http.p50, 0)}× (vs HTTP)` : '–');
  const met = rows.every((row) => row.http.p95 <= TARGET_MS);
  const lines = [
    `# Statistics benchmark (${at})`,
    '',
    `A year of per-minute counters for ${PREFIXES} enterprise prefixes in a scratch database: prefix p has counts in minute m when (m + p) % ${settings.every} = 0, one resolution and one door row per such cell and a registration row in about one cell an hour: ${seeded.minuteRows.toLocaleString('en')} minute rows (inserted in ${round(seeded.insertMs / 1000)} s), rolled up by usage_rollup_rebuild (the migration's backfill) in ${round(seeded.rollupMs / 1000)} s into ${seeded.hourlyRows.toLocaleString('en')} hourly and ${seeded.dailyRows.toLocaleString('en')} daily rows.`,
    `The built node in its own process (STATS_TIME_ZONE=${TIME_ZONE}); HTTP: ${settings.samples} sequential requests per row with an operator token. Baseline: the same sums from the raw minute rows by the pre-roll-up query, directly on PostgreSQL (${settings.baselineSamples} runs), against the roll-up query likewise (${settings.samples} runs). Every HTTP series was checked equal to the raw sums. Machine: ${cpus().length} cores shared with PostgreSQL and other work.`,
    '',
    '| request | HTTP p50 / p95 ms | roll-up SQL p50 / p95 ms | raw minutes SQL p50 / p95 ms | raw ÷ roll-up (p50) |',
    '|---|---:|---:|---:|---:|',
    ...rows.map((row) => `| ${row.name} | ${cell(row.http)} | ${cell(row.rollupSql)} | ${cell(row.rawSql)} | ${ratio(row)} |`),
    '',
    `Target ≤ ${TARGET_MS} ms (HTTP p95) at a year of data: ${met ? 'met' : 'NOT met'}.`,
  ];
  writeFileSync(join(dir, `statistics-${stamp}.json`), JSON.stringify({ suite: 'statistics', at, settings, seeded, rows }, null, 2));
  writeFileSync(join(dir, 'statistics-latest.md'), `${lines.join('\n')}\n`);
  process.stdout.write(`\n${lines.join('\n')}\n`);
}
