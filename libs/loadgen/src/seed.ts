/**
 * Seeding: N identifiers `{prefix}/{stem}{number padded}` (the series `run` asks for), either
 *   - through the node's SNMS batch API (POST /identityv2/data/batchCreate) with a token: batches
 *     in order, a few in flight, a state file noting how many batches are done, so an interrupted
 *     seed resumes where it stopped (an item the node already has counts as done); or
 *   - through the node's CSV import (POST /api/v1/prefixes/{prefix}/imports) with a token: the
 *     series as one CSV file, generated while it is sent, checked and stored by the node with COPY
 *     in one transaction (all or nothing; identifiers already there are counted, not refused); or
 *   - straight into the node's database with COPY (pg-copy-streams), for 10⁷-scale seeds: rows in
 *     the stored form of the identifiers table, skipping any handle that already exists.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { seriesSuffix } from './keys';
import { recordValues } from './operations';

export interface SeedOptions {
  target: string;
  prefix: string;
  stem: string;
  pad: number;
  start: number;
  count: number;
  batch: number;
  concurrency: number;
  templateVersion: string;
  stateFile?: string;
  timeoutMs: number;
}

export interface SeedProgress {
  done: number;
  total: number;
  perSecond: number;
  elapsedSec: number;
}

export interface SeedResult {
  stored: number;
  alreadyThere: number;
  refused: number;
  skippedByResume: number;
  seconds: number;
  perSecond: number;
  interrupted: boolean;
  firstRefusal?: string;
}

interface SeedState {
  prefix: string;
  stem: string;
  pad: number;
  start: number;
  count: number;
  batch: number;
  batchesDone: number;
}

function handleOf(o: Pick<SeedOptions, 'prefix' | 'stem' | 'pad'>, n: number): string {
  return `${o.prefix}/${seriesSuffix(o.stem, o.pad, n)}`;
}

export const SEED_TEMPLATE_ITEMS = [
  { name: '产品名称', idType: 'name', required: true, metadata: { type: 'string', minLength: 1, maxLength: 64 } },
  { name: '型号', idType: 'model', metadata: { type: 'string', minLength: 0, maxLength: 64 } },
];

async function call(target: string, method: string, path: string, token: string, body?: unknown, timeoutMs = 30_000): Promise<{ status: number; json: any }> {
  const response = await fetch(`${target.replace(/\/$/, '')}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, json };
}

/** Makes sure the template records are registered with exists (creates a two-field one if not). */
export async function ensureTemplate(target: string, token: string, prefix: string, version: string): Promise<'exists' | 'created'> {
  const found = await call(target, 'GET', `/snms/api/v5/template?prefix=${encodeURIComponent(prefix)}&version=${encodeURIComponent(version)}`, token);
  if (found.status === 200 && found.json?.status === 1) return 'exists';
  const created = await call(target, 'POST', '/snms/api/v5/template', token, {
    prefix,
    version,
    industryCategory: 'C',
    industrySpecific: '34',
    industryTrade: '342',
    industrySubclass: '3421',
    type: 1,
    items: SEED_TEMPLATE_ITEMS,
  });
  if (created.status !== 200 || created.json?.status !== 1) throw new Error(`creating template ${version} under ${prefix}: HTTP ${created.status} ${JSON.stringify(created.json).slice(0, 300)}`);
  return 'created';
}

function readState(file: string | undefined, o: SeedOptions): SeedState {
  const fresh: SeedState = { prefix: o.prefix, stem: o.stem, pad: o.pad, start: o.start, count: o.count, batch: o.batch, batchesDone: 0 };
  if (!file || !existsSync(file)) return fresh;
  const saved = JSON.parse(readFileSync(file, 'utf8')) as SeedState;
  const same = (['prefix', 'stem', 'pad', 'start', 'count', 'batch'] as const).every((k) => saved[k] === fresh[k]);
  if (!same) throw new Error(`${file} belongs to another seed (${saved.prefix}/${saved.stem}…, ${saved.count} in batches of ${saved.batch}); remove it or use another --state file`);
  return saved;
}

function writeState(file: string | undefined, state: SeedState): void {
  if (!file) return;
  writeFileSync(`${file}.tmp`, JSON.stringify(state));
  renameSync(`${file}.tmp`, file);
}

export async function seedViaApi(o: SeedOptions, token: string, stop: AbortSignal, onProgress?: (p: SeedProgress) => void): Promise<SeedResult> {
  await ensureTemplate(o.target, token, o.prefix, o.templateVersion);
  const state = readState(o.stateFile, o);
  const batches = Math.ceil(o.count / o.batch);
  const skippedByResume = Math.min(o.count, state.batchesDone * o.batch);
  const result: SeedResult = { stored: 0, alreadyThere: 0, refused: 0, skippedByResume, seconds: 0, perSecond: 0, interrupted: false };
  const started = Date.now();
  const finished = new Set<number>();
  let next = state.batchesDone;
  let done = skippedByResume;
  const progress = setInterval(() => {
    const elapsedSec = (Date.now() - started) / 1000;
    onProgress?.({ done, total: o.count, perSecond: (done - skippedByResume) / Math.max(elapsedSec, 0.001), elapsedSec });
  }, 1000);
  const worker = async () => {
    while (!stop.aborted && next < batches) {
      const b = next++;
      const from = o.start + b * o.batch;
      const to = Math.min(o.start + o.count, from + o.batch);
      const items = [];
      for (let n = from; n < to; n += 1) items.push({ handle: handleOf(o, n), templateVersion: o.templateVersion, value: recordValues(n, 'seed') });
      const reply = await call(o.target, 'POST', '/identityv2/data/batchCreate', token, items, o.timeoutMs);
      if (reply.status !== 200 || reply.json?.status !== 1 || !Array.isArray(reply.json.data)) throw new Error(`batch ${b}: HTTP ${reply.status} ${JSON.stringify(reply.json).slice(0, 300)}`);
      for (const item of reply.json.data as Array<{ code: number; reason?: string; msg?: string; handle?: string }>) {
        if (item.code === 1) result.stored += 1;
        else if (item.reason === 'HANDLE_ALREADY_EXISTS') result.alreadyThere += 1;
        else {
          result.refused += 1;
          result.firstRefusal ??= `${item.handle}: ${item.msg ?? item.reason}`;
        }
      }
      done += to - from;
      finished.add(b);
      // The state notes the longest run of finished batches from the start: a resume never skips one.
      while (finished.has(state.batchesDone)) {
        finished.delete(state.batchesDone);
        state.batchesDone += 1;
      }
      writeState(o.stateFile, state);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, worker));
  } finally {
    clearInterval(progress);
  }
  result.interrupted = stop.aborted && state.batchesDone < batches;
  result.seconds = (Date.now() - started) / 1000;
  result.perSecond = (result.stored + result.alreadyThere) / Math.max(result.seconds, 0.001);
  return result;
}

/** A CSV cell: quoted when it holds a comma, a quote or a line break. */
function csvCell(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The series as one CSV file through the node's import route, generated while it is sent (a file of
 * millions of rows is never held in memory). The node stores it whole or not at all: a refused file
 * counts every row as refused, with the node's reason.
 */
export async function seedViaImport(o: Omit<SeedOptions, 'concurrency' | 'stateFile' | 'batch'>, token: string, stop: AbortSignal, onProgress?: (p: SeedProgress) => void): Promise<SeedResult> {
  await ensureTemplate(o.target, token, o.prefix, o.templateVersion);
  const started = Date.now();
  let done = 0;
  const progress = setInterval(() => {
    const elapsedSec = (Date.now() - started) / 1000;
    onProgress?.({ done, total: o.count, perSecond: done / Math.max(elapsedSec, 0.001), elapsedSec });
  }, 1000);
  const names = new Map(SEED_TEMPLATE_ITEMS.map((item) => [item.idType, item.idType]));
  async function* file(): AsyncGenerator<Buffer> {
    yield Buffer.from(`suffix,${[...names.keys()].join(',')}\n`);
    const end = o.start + o.count;
    for (let from = o.start; from < end && !stop.aborted; from += 1000) {
      let chunk = '';
      for (let n = from; n < Math.min(end, from + 1000); n += 1) {
        const values = new Map(recordValues(n, 'seed').map((v) => [v.type, v.data.value]));
        chunk += `${csvCell(seriesSuffix(o.stem, o.pad, n))},${[...names.keys()].map((type) => csvCell(values.get(type) ?? '')).join(',')}\n`;
      }
      done = Math.min(end, from + 1000) - o.start;
      yield Buffer.from(chunk);
    }
  }
  let response: Response;
  try {
    response = await fetch(`${o.target.replace(/\/$/, '')}/api/v1/prefixes/${encodeURIComponent(o.prefix)}/imports?templateVersion=${encodeURIComponent(o.templateVersion)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      body: Readable.from(file()) as unknown as RequestInit['body'],
      duplex: 'half',
      signal: AbortSignal.any([stop, AbortSignal.timeout(o.timeoutMs)]),
    } as RequestInit);
  } finally {
    clearInterval(progress);
  }
  const reply = (await response.json().catch(() => undefined)) as { stored?: number; alreadyExisting?: number; detail?: string; errors?: Array<{ path: string; message: string }> } | undefined;
  const seconds = (Date.now() - started) / 1000;
  const result: SeedResult = { stored: 0, alreadyThere: 0, refused: 0, skippedByResume: 0, seconds, perSecond: 0, interrupted: stop.aborted };
  if (response.status === 201 && reply) {
    result.stored = reply.stored ?? 0;
    result.alreadyThere = reply.alreadyExisting ?? 0;
  } else {
    result.refused = o.count;
    const named = (reply?.errors ?? []).slice(0, 3).map((e) => `${e.path}: ${e.message}`);
    result.firstRefusal = `the import was refused: HTTP ${response.status} ${reply?.detail ?? ''}${named.length > 0 ? ` (${named.join('; ')})` : ''}`;
  }
  result.perSecond = (result.stored + result.alreadyThere) / Math.max(seconds, 0.001);
  return result;
}

/** The stored form of a record's values, as the node writes them (TEMPLATE value first). */
function storedValues(n: number, templateVersion: string, timestamp: string): string {
  return JSON.stringify([
    { index: 1001, type: 'TEMPLATE', data: { format: 'string', value: templateVersion }, ttl: 86400, timestamp },
    ...recordValues(n, 'seed').map((v) => ({ ...v, ttl: 86400, timestamp })),
  ]);
}

/** COPY text format: tab-separated, backslash escapes. */
function copyField(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/**
 * Writes the identifiers straight into the node's database: COPY into a temporary table, then one
 * INSERT … ON CONFLICT DO NOTHING per chunk (the prefix must be an active enterprise prefix of the
 * node: the foreign key refuses others). The conflict names no key, so the same statement fits a
 * node whose identifiers are keyed by handle alone and one whose table is partitioned by prefix
 * (key (handle_key, prefix_key)). The node's caches know nothing of rows written this way:
 * seed before the run, or restart the node.
 */
export async function seedViaCopy(o: Omit<SeedOptions, 'target' | 'concurrency' | 'stateFile'> & { databaseUrl: string }, stop: AbortSignal, onProgress?: (p: SeedProgress) => void): Promise<SeedResult> {
  const client = new Client({ connectionString: o.databaseUrl, application_name: 'idis-loadtest-seed' });
  await client.connect();
  const started = Date.now();
  const result: SeedResult = { stored: 0, alreadyThere: 0, refused: 0, skippedByResume: 0, seconds: 0, perSecond: 0, interrupted: false };
  const prefixKey = o.prefix.toLowerCase();
  const exists = await client.query('SELECT 1 FROM enterprise_prefixes WHERE prefix_key = $1', [prefixKey]);
  if (exists.rowCount === 0) {
    await client.end();
    throw new Error(`prefix ${o.prefix} is not an enterprise prefix in that database`);
  }
  const chunk = Math.max(o.batch, 10_000);
  const timestamp = `${new Date().toISOString().slice(0, 19)}Z`;
  let done = 0;
  try {
    await client.query('CREATE TEMP TABLE loadtest_seed (handle_key text, handle text, prefix_key text, "values" jsonb, template_version text) ON COMMIT DELETE ROWS');
    for (let from = o.start; from < o.start + o.count && !stop.aborted; from += chunk) {
      const to = Math.min(o.start + o.count, from + chunk);
      await client.query('BEGIN');
      let n = from;
      const rows = new Readable({
        read() {
          let pushed = 0;
          while (n < to && pushed < 500) {
            const handle = handleOf(o, n);
            this.push(`${copyField(handle.toLowerCase())}\t${copyField(handle)}\t${prefixKey}\t${copyField(storedValues(n, o.templateVersion, timestamp))}\t${copyField(o.templateVersion)}\n`);
            n += 1;
            pushed += 1;
          }
          if (n >= to) this.push(null);
        },
      });
      await pipeline(rows, client.query(copyFrom('COPY loadtest_seed (handle_key, handle, prefix_key, "values", template_version) FROM STDIN')));
      const inserted = await client.query(
        'INSERT INTO identifiers (handle_key, handle, prefix_key, "values", template_version) SELECT handle_key, handle, prefix_key, "values", template_version FROM loadtest_seed ON CONFLICT DO NOTHING',
      );
      await client.query('COMMIT');
      result.stored += inserted.rowCount ?? 0;
      result.alreadyThere += to - from - (inserted.rowCount ?? 0);
      done += to - from;
      const elapsedSec = (Date.now() - started) / 1000;
      onProgress?.({ done, total: o.count, perSecond: done / Math.max(elapsedSec, 0.001), elapsedSec });
    }
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
  result.interrupted = stop.aborted && done < o.count;
  result.seconds = (Date.now() - started) / 1000;
  result.perSecond = done / Math.max(result.seconds, 0.001);
  return result;
}
