/**
 * Setting up what the resolution benchmark measures: the scratch database seeded by SQL, Redis, the
 * typical reply and the baseline table, the servers (node and bare Fastify baselines), and for (g)
 * a top-level node and a second secondary node.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Redis from 'ioredis';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { creditCodeCheckCharacter } from '@idis/identifier';
import { onCleanup } from '../../tests/support/benchmark/cleanup';
import { BASELINE_SERVER, type RunningNode, startNodeProcess, startServerProcess } from '../../tests/support/benchmark/server-process';
import { round } from '../../tests/support/benchmark/stats';
import { freePort } from '../../tests/support/free-port';
import { createScratchDatabase } from '../../tests/support/test-database';
import { TOP_LEVEL_MAIN } from '../../tests/support/top-level-process';
import { waitFor } from '../../tests/support/wait-for';
import {
  ADMIN_URL,
  BASELINE_TABLE,
  type Context,
  type Federation,
  FOREIGN_PREFIX,
  log,
  type Options,
  PAD,
  PATH_PREFIX,
  PREFIX,
  REDIS_URL,
  type ScaleFacts,
  SEED_BATCH,
  SUFFIX_PREFIX,
  UNKNOWN_PREFIX,
  DEFAULT_STEPS,
  ZIPF_PAD,
  ZIPF_SUFFIX_PREFIX,
} from './suite';

/**
 * The scratch database (the node creates the schema and the approved enterprise prefix, the
 * identifiers go in by SQL), Redis, the typical reply and the baseline table; for (g) the
 * federation. Everything it starts or creates is torn down by the suite's cleanup.
 */
export async function prepareSuite(options: Options): Promise<Context> {
  const run = randomBytes(4).toString('hex');
  const dbName = `idis_bench_res_${run}`;
  const scratch = mkdtempSync(join(tmpdir(), 'idis-bench-resolution-'));
  onCleanup('scratch directory', () => rmSync(scratch, { recursive: true, force: true }));

  const database = await createScratchDatabase(dbName, ADMIN_URL);
  onCleanup(`drop database ${dbName}`, async () => {
    await database.drop();
    log(`dropped database ${dbName}`);
  });
  const databaseUrl = database.url;

  const redisKeyPrefix = `idis-bench-${run}:`;
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  onCleanup('redis connection', () => redis.quit());
  onCleanup('redis keys', async () => log(`deleted ${await deleteKeys(redis, `${redisKeyPrefix}*`)} Redis keys under ${redisKeyPrefix}`));

  const db = new Client({ connectionString: databaseUrl, statement_timeout: 10 * 60_000 });
  const nodeEnv = {
    DATABASE_URL: databaseUrl,
    OPERATOR_PASSWORD: 'bench-operator-1',
    JWT_SECRET: randomBytes(32).toString('hex'),
    REDIS_URL,
    REDIS_KEY_PREFIX: `${redisKeyPrefix}node:`,
  };

  log(`database ${dbName}, Redis prefix ${redisKeyPrefix}, scratch ${scratch}`);
  // The node creates the schema and the approved enterprise prefix; the identifiers go in by SQL.
  let reply: string;
  let contentType: string;
  {
    const node = await startNode({ ...nodeEnv, CACHE_L1_ENABLED: 'false', CACHE_L2_ENABLED: 'false' });
    try {
      await setUpEnterprise(node.baseUrl);
      await db.connect();
      onCleanup('database connection', () => db.end());
      let started = Date.now();
      await seedIdentifiers(db, 1, options.identifiers);
      log(`seeded ${options.identifiers.toLocaleString('en')} identifiers in ${round((Date.now() - started) / 1000)} s`);
      if (needsZipfStore(options)) {
        started = Date.now();
        // Two connections, each a half of the range: PostgreSQL builds the rows on both cores.
        const second = new Client({ connectionString: databaseUrl, statement_timeout: 10 * 60_000 });
        await second.connect();
        try {
          const half = Math.ceil(options.zipfIdentifiers / 2);
          await Promise.all([
            seedIdentifiers(db, 1, half, PREFIX, ZIPF_SUFFIX_PREFIX, ZIPF_PAD),
            seedIdentifiers(second, half + 1, options.zipfIdentifiers, PREFIX, ZIPF_SUFFIX_PREFIX, ZIPF_PAD),
          ]);
        } finally {
          await second.end();
        }
        log(`seeded ${options.zipfIdentifiers.toLocaleString('en')} identifiers for (h) in ${round((Date.now() - started) / 1000)} s`);
      }
      ({ reply, contentType } = await typicalReply(node.baseUrl));
      started = Date.now();
      await db.query(`CREATE TABLE ${BASELINE_TABLE} (handle_key varchar(255) COLLATE "C" PRIMARY KEY, reply text NOT NULL)`);
      await seedBaselineTable(db, reply, 1, options.identifiers);
      await settle(db);
      log(`baseline table filled and both tables vacuumed/analysed in ${round((Date.now() - started) / 1000)} s`);
    } finally {
      await node.stop();
    }
  }
  const replyFile = join(scratch, 'reply.json');
  writeFileSync(replyFile, reply);
  const baselineRedisKey = `${redisKeyPrefix}baseline-reply`;
  await redis.set(baselineRedisKey, reply);

  const ctx: Context = {
    options,
    databaseUrl,
    scratch,
    replyFile,
    reply,
    contentType,
    redisKeyPrefix,
    baselineRedisKey,
    nodeEnv,
    workingSet: sample(options.identifiers, options.workingSet, options.seed).map(suffixOf),
    redis,
    db,
  };

  if (!options.scale && (options.steps ?? ['g']).includes('g')) ctx.federation = await setUpFederation(ctx, dbName);
  return ctx;
}

/** Row (h) is to run: its identifiers go in with the others, before the tables are settled. */
export function needsZipfStore(options: Options): boolean {
  return !options.scale && (options.steps ?? DEFAULT_STEPS).includes('h');
}

/**
 * `--scale`: grows both tables to the scale size by COPY (rows made here, streamed on two connections
 * at once, one half of the range each, so that PostgreSQL parses and indexes on both cores), settles
 * them, and describes them at that size.
 */
export async function growTables(ctx: Context): Promise<ScaleFacts> {
  const { db, options, reply } = ctx;
  const started = Date.now();
  const second = new Client({ connectionString: ctx.databaseUrl, statement_timeout: 60 * 60_000 });
  await second.connect();
  try {
    const from = options.identifiers + 1;
    const middle = from + Math.floor((options.scaleIdentifiers - from) / 2);
    await Promise.all([copyIdentifiers(db, from, middle), copyIdentifiers(second, middle + 1, options.scaleIdentifiers)]);
    log(`copied ${(options.scaleIdentifiers - options.identifiers).toLocaleString('en')} identifiers in ${round((Date.now() - started) / 1000)} s`);
    await Promise.all([copyBaselineRows(db, reply, from, middle), copyBaselineRows(second, reply, middle + 1, options.scaleIdentifiers)]);
    log(`copied as many baseline rows; ${round((Date.now() - started) / 1000)} s so far`);
  } finally {
    await second.end();
  }
  await settle(db);
  log(`grew both tables to ${options.scaleIdentifiers.toLocaleString('en')} rows in ${round((Date.now() - started) / 1000)} s`);
  return describeTables(db, options.scaleIdentifiers);
}

/** Rows per COPY statement (one transaction each: a failure loses one chunk's work, not the whole growth). */
const COPY_CHUNK = 1_000_000;

/** Streams `rowOf(from..to)` into `copySql`, one COPY per COPY_CHUNK rows. */
async function copyRows(db: Client, copySql: string, from: number, to: number, rowOf: (i: number) => string): Promise<void> {
  for (let start = from; start <= to; start += COPY_CHUNK) {
    const end = Math.min(to, start + COPY_CHUNK - 1);
    let i = start;
    const rows = new Readable({
      read() {
        let lines = '';
        for (let n = 0; n < 1000 && i <= end; n += 1, i += 1) lines += rowOf(i);
        this.push(lines);
        if (i > end) this.push(null);
      },
    });
    await pipeline(rows, db.query(copyFrom(copySql)));
  }
}

/** A field of COPY's text format: backslash, tab, newline and carriage return escaped. */
function copyText(value: string): string {
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/** The same rows as seedIdentifiers (its values, as JSON text that jsonb stores alike), by COPY. */
export async function copyIdentifiers(db: Client, from: number, to: number): Promise<void> {
  if (String(to).length > PAD) throw new Error(`identifier numbers up to ${to} do not fit ${PAD} digits`);
  const timestamp = `${new Date().toISOString().slice(0, 19)}Z`;
  const value = (index: number, type: string, data: string, extra = '') =>
    `{"index":${index},"type":"${type}","data":{"format":"string","value":${JSON.stringify(data)}},"ttl":86400,"timestamp":"${timestamp}"${extra}}`;
  const prefixKey = PREFIX.toLowerCase();
  await copyRows(db, 'COPY identifiers (handle_key, handle, prefix_key, "values") FROM STDIN', from, to, (i) => {
    const padded = String(i).padStart(PAD, '0');
    const handle = `${PREFIX}/${SUFFIX_PREFIX}${padded}`;
    const values = [
      value(1, 'URL', `https://tools.example.cn/p/${padded}`),
      value(2000, 'name', `锂电冲击扳手 JXDY-${i}`),
      value(2001, 'model', 'JXDY2106'),
      ...(i % 50 === 0 ? [value(300, 'INTERNAL_NOTE', `QA lot ${i}`, ',"permissions":"1100"')] : []),
    ];
    return `${copyText(handle.toLowerCase())}\t${copyText(handle)}\t${prefixKey}\t${copyText(`[${values.join(',')}]`)}\n`;
  });
}

/** The same rows as seedBaselineTable, by COPY. */
export async function copyBaselineRows(db: Client, reply: string, from: number, to: number): Promise<void> {
  const replyField = copyText(reply);
  const keyStart = `${PREFIX}/${SUFFIX_PREFIX}`.toLowerCase();
  await copyRows(db, `COPY ${BASELINE_TABLE} (handle_key, reply) FROM STDIN`, from, to, (i) => `${copyText(keyStart)}${String(i).padStart(PAD, '0')}\t${replyField}\n`);
}

// ---------------------------------------------------------------------------------------------
// Servers

/** This build's node, or another build's (`--compare`: the main.js of another checkout's `npm run build`). */
export async function startNode(env: Record<string, string>, script?: string, nodeArgs?: string[]): Promise<RunningNode> {
  return startNodeProcess(env, await freePort(), script, nodeArgs);
}

export async function startBaseline(ctx: Context, mode: 'static' | 'redis' | 'pg'): Promise<RunningNode> {
  return startServerProcess({
    script: BASELINE_SERVER,
    port: await freePort(),
    readyPath: '/ready',
    name: `baseline ${mode}`,
    env: {
      BASELINE_MODE: mode,
      REPLY_FILE: ctx.replyFile,
      CONTENT_TYPE: ctx.contentType,
      REDIS_URL,
      REDIS_KEY: ctx.baselineRedisKey,
      DATABASE_URL: ctx.databaseUrl,
      BASELINE_TABLE,
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Data

export function suffixOf(i: number): string {
  return `${SUFFIX_PREFIX}${String(i).padStart(PAD, '0')}`;
}

/** `count` distinct numbers of 1..n, drawn with a seeded generator. */
export function sample(n: number, count: number, seed: number): number[] {
  let a = seed >>> 0 || 1;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(1 + Math.floor(random() * n));
  return [...chosen];
}

/**
 * For (g): a top-level node and a second secondary node for 88.200, each its own process and
 * database, kept running for the whole suite. The far node files 88.200.5 through the top level
 * and holds the same identifiers under it; the measured node, linked to the same top level, resolves
 * them through a referral, and (g) measures its L1 hits on those foreign records.
 */
export async function setUpFederation(ctx: Context, dbName: string): Promise<Federation> {
  if (!existsSync(TOP_LEVEL_MAIN)) throw new Error(`${TOP_LEVEL_MAIN} is missing: run npm run build first`);
  const scratchDatabase = async (name: string) => {
    const database = await createScratchDatabase(name, ADMIN_URL);
    onCleanup(`drop database ${name}`, () => database.drop());
    return database;
  };
  const topDatabase = await scratchDatabase(`${dbName}_top`);
  const farDatabase = await scratchDatabase(`${dbName}_far`);
  const enrolmentToken = randomBytes(24).toString('hex');
  const grpcPort = await freePort();
  const httpPort = await freePort();
  const top = await startServerProcess({
    script: TOP_LEVEL_MAIN,
    port: httpPort,
    readyPath: '/health',
    name: 'top-level node',
    env: {
      DATABASE_URL: topDatabase.url,
      ENROLMENT_TOKEN: enrolmentToken,
      TOP_LEVEL_GRPC_PORT: String(grpcPort),
      TOP_LEVEL_HTTP_PORT: String(httpPort),
      FILING_REVIEW: 'auto',
      FILING_REVIEW_DELAY_MS: '0',
    },
  });
  onCleanup('top-level node', () => top.stop());
  const linkEnv = { TOP_LEVEL_URL: `127.0.0.1:${grpcPort}`, ENROLMENT_TOKEN: enrolmentToken, UPSTREAM_POLL_INTERVAL_MS: '200' };
  const far = await startNode({ ...ctx.nodeEnv, ...linkEnv, DATABASE_URL: farDatabase.url, NODE_ID: 'bench-far', SECONDARY_PREFIX: FOREIGN_PREFIX.split('.').slice(0, 2).join('.'), REDIS_KEY_PREFIX: `${ctx.redisKeyPrefix}far:` });
  onCleanup('far node', () => far.stop());
  await waitUntilLinked(far.baseUrl);
  const operator = await setUpEnterprise(far.baseUrl, { prefix: FOREIGN_PREFIX, username: 'benchfar', code: '91420100MA4K00003' });
  await waitFor(`${FOREIGN_PREFIX} to be filed and active on the far node`, async () => {
    const response = await fetch(`${far.baseUrl}/api/v1/enterprises/applications?status=active`, { headers: { authorization: `Bearer ${operator}` } });
    const body = (await response.json()) as { items?: Array<{ requestedPrefix?: string }> };
    return (body.items ?? []).some((item) => item.requestedPrefix === FOREIGN_PREFIX);
  }, { timeoutMs: 60_000, intervalMs: 200 });
  const farDb = new Client({ connectionString: farDatabase.url });
  await farDb.connect();
  try {
    await seedIdentifiers(farDb, 1, ctx.options.identifiers, FOREIGN_PREFIX);
    await farDb.query('VACUUM (ANALYZE) identifiers');
  } finally {
    await farDb.end();
  }
  log(`federation: top level on gRPC ${grpcPort}, far node ${far.baseUrl} holding ${FOREIGN_PREFIX} with ${ctx.options.identifiers.toLocaleString('en')} identifiers`);
  // The measured node polls for review outcomes at the default pace: it files nothing here.
  return { nearEnv: { TOP_LEVEL_URL: linkEnv.TOP_LEVEL_URL, ENROLMENT_TOKEN: enrolmentToken, NODE_ID: 'bench-near' } };
}

/** The node's /health reports the top-level link up (enrolled, heartbeats answered); its checks are shown to operators only. */
export async function waitUntilLinked(baseUrl: string): Promise<void> {
  const signIn = await fetch(`${baseUrl}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'operator', password: 'bench-operator-1' }),
  });
  if (!signIn.ok) throw new Error(`operator sign-in on ${baseUrl} failed: ${signIn.status} ${await signIn.text()}`);
  const { accessToken } = (await signIn.json()) as { accessToken: string };
  await waitFor(`${baseUrl} to be linked to the top level`, async () => {
    const response = await fetch(`${baseUrl}/health`, { headers: { authorization: `Bearer ${accessToken}` } });
    const body = (await response.json()) as { checks?: { topLevel?: { status?: string } } };
    return body.checks?.topLevel?.status === 'up';
  }, { timeoutMs: 60_000, intervalMs: 200 });
}

/**
 * Identifiers from..to in one INSERT … SELECT FROM generate_series per 100,000 rows, in the form the
 * node stores (Handle.Net JSON values, TTL 86400, default permissions omitted): a URL, a product
 * name and model, a production date; every 50th also an admin-only value (permissions 1100), so that
 * public filtering has something to remove.
 */
export async function seedIdentifiers(db: Client, from: number, to: number, prefix = PREFIX, suffixPrefix = SUFFIX_PREFIX, pad = PAD): Promise<void> {
  if (String(to).length > pad) throw new Error(`identifier numbers up to ${to} do not fit ${pad} digits`);
  const timestamp = `${new Date().toISOString().slice(0, 19)}Z`;
  for (let start = from; start <= to; start += SEED_BATCH) {
    const end = Math.min(to, start + SEED_BATCH - 1);
    await db.query(
      `INSERT INTO identifiers (handle_key, handle, prefix_key, "values", template_version)
       SELECT lower(h), h, $3, v, NULL
         FROM (SELECT i, $4 || '/' || $5 || lpad(i::text, ${pad}, '0') AS h FROM generate_series($1::int, $2::int) AS i) AS s,
         LATERAL (SELECT jsonb_build_array(
             jsonb_build_object('index', 1, 'type', 'URL', 'data', jsonb_build_object('format', 'string', 'value', 'https://tools.example.cn/p/' || lpad(i::text, ${pad}, '0')), 'ttl', 86400, 'timestamp', $6::text),
             jsonb_build_object('index', 2000, 'type', 'name', 'data', jsonb_build_object('format', 'string', 'value', '锂电冲击扳手 JXDY-' || i), 'ttl', 86400, 'timestamp', $6::text),
             jsonb_build_object('index', 2001, 'type', 'model', 'data', jsonb_build_object('format', 'string', 'value', 'JXDY2106'), 'ttl', 86400, 'timestamp', $6::text)
           ) || CASE WHEN i % 50 = 0 THEN jsonb_build_array(
             jsonb_build_object('index', 300, 'type', 'INTERNAL_NOTE', 'data', jsonb_build_object('format', 'string', 'value', 'QA lot ' || i), 'ttl', 86400, 'timestamp', $6::text, 'permissions', '1100')
           ) ELSE '[]'::jsonb END AS v) AS x`,
      [start, end, prefix, prefix, suffixPrefix, timestamp],
    );
  }
}

/** The baseline table: the same keys as identifiers, each row holding the typical reply's bytes. */
export async function seedBaselineTable(db: Client, reply: string, from: number, to: number): Promise<void> {
  for (let start = from; start <= to; start += SEED_BATCH) {
    const end = Math.min(to, start + SEED_BATCH - 1);
    await db.query(
      `INSERT INTO ${BASELINE_TABLE} (handle_key, reply)
       SELECT lower($3 || '/' || $4 || lpad(i::text, ${PAD}, '0')), $5 FROM generate_series($1::int, $2::int) AS i`,
      [start, end, PREFIX, SUFFIX_PREFIX, reply],
    );
  }
}

/** Statistics, hint bits and a checkpoint now, so that none of it happens during a measurement. */
export async function settle(db: Client): Promise<void> {
  await db.query('VACUUM (ANALYZE) identifiers');
  await db.query(`VACUUM (ANALYZE) ${BASELINE_TABLE}`);
  await db.query('CHECKPOINT');
}

/** Sizes, and the plan of the node's lookup at the grown size (must be an index scan). */
export async function describeTables(db: Client, rows: number): Promise<ScaleFacts> {
  // A partitioned table has no storage of its own: its size is its partitions' (pg_partition_tree lists
  // nothing for a plain table, which is counted by itself).
  const sizes = async (table: string) =>
    (
      await db.query<{ b: string }>(
        `SELECT pg_total_relation_size(c.oid) AS b FROM pg_class c WHERE c.oid = $1::regclass AND c.relkind = 'r'
         UNION ALL SELECT pg_total_relation_size(t.relid) FROM pg_partition_tree($1::regclass) t WHERE t.isleaf`,
        [table],
      )
    ).rows.map((r) => Number(r.b) / 1024 / 1024);
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const key = `${PREFIX}/${suffixOf(Math.ceil(rows / 2))}`.toLowerCase();
  // The node's lookup names the prefix (IdentifierRepository): the plan must read one partition, by index.
  const plan = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT * FROM identifiers WHERE handle_key = $1 AND prefix_key = split_part($1, '/', 1)`, [key])).rows
    .map((r) => r['QUERY PLAN'].trim())
    .join(' / ');
  const identifierPartitions = await sizes('identifiers');
  return {
    rows,
    identifiersTableMb: round(sum(identifierPartitions)),
    identifierPartitions: identifierPartitions.length,
    largestIdentifierPartitionMb: round(Math.max(...identifierPartitions)),
    baselineTableMb: round(sum(await sizes(BASELINE_TABLE))),
    plan,
  };
}

export async function typicalReply(baseUrl: string): Promise<{ reply: string; contentType: string }> {
  const get = async (suffix: string) => {
    const response = await fetch(`${baseUrl}${PATH_PREFIX}${suffix}`, { signal: AbortSignal.timeout(10_000) });
    return { status: response.status, contentType: response.headers.get('content-type') ?? 'application/json', text: await response.text() };
  };
  const typical = await get(suffixOf(2));
  const parsed = JSON.parse(typical.text) as { responseCode: number; values: Array<{ index: number }> };
  if (typical.status !== 200 || parsed.responseCode !== 1) throw new Error(`typical reply: ${typical.status} ${typical.text.slice(0, 300)}`);
  // The seeded data must be what the node serves: admin-only values filtered for the public.
  const filtered = await get(suffixOf(50));
  const filteredValues = (JSON.parse(filtered.text) as { values?: Array<{ index: number }> }).values ?? [];
  if (filtered.status !== 200 || filteredValues.some((v) => v.index === 300) || filteredValues.length !== 3) {
    throw new Error(`public reply of an identifier with an admin-only value: ${filtered.status} ${filtered.text.slice(0, 400)}`);
  }
  const unknown = await get(`${UNKNOWN_PREFIX}${'1'.padStart(PAD, '0')}`);
  if (unknown.status !== 404 || (JSON.parse(unknown.text) as { responseCode?: number }).responseCode !== 100) {
    throw new Error(`unknown identifier: ${unknown.status} ${unknown.text.slice(0, 300)}`);
  }
  log(`typical reply: ${Buffer.byteLength(typical.text)} bytes (${typical.contentType}), values JSON ${Buffer.byteLength(JSON.stringify(parsed.values))} bytes`);
  return { reply: typical.text, contentType: typical.contentType };
}

export async function setUpEnterprise(baseUrl: string, enterprise = { prefix: PREFIX, username: 'benchres', code: '91420100MA4K00002' }): Promise<string> {
  const post = async (path: string, body: unknown, token?: string) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (response.status >= 300) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  const operator = (await post('/api/v1/auth/token', { username: 'operator', password: 'bench-operator-1' })).accessToken as string;
  const first17 = enterprise.code;
  const application = await post('/api/v1/enterprises/applications', {
    orgName: 'Bench Resolution Co.',
    creditCode: `${first17}${creditCodeCheckCharacter(first17)}`,
    contactName: 'Wang Wu',
    contactPhone: '+86 714 000 0001',
    contactEmail: 'bench-resolution@example.cn',
    requestedPrefix: enterprise.prefix,
    username: enterprise.username,
    password: 'bench-password-1',
  });
  await post(`/api/v1/enterprises/applications/${application.id as string}/approve`, {}, operator);
  return operator;
}

export async function deleteKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  for (let i = 0; i < 100_000; i += 1) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) deleted += await redis.unlink(...keys);
    cursor = next;
    if (cursor === '0') break;
  }
  return deleted;
}
