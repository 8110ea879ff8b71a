import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DataSource, type EntityManager } from 'typeorm';
import type { HandleJsonValue } from '@idis/identifier';
import { BatchedLookup } from '@idis/runtime';
import { HEAVY_READ_DATA_SOURCE } from '../config/heavy-read.config';
import { ReadReplicas } from '../read-replicas/read-replicas';
import type { IdentifierSearch, KeyRange } from './identifier-search';

/** Resolution statements running at once; the pool has 10 connections, the rest serve writes. */
const RESOLUTION_STATEMENTS_IN_FLIGHT = 4;
/** Keys per resolution statement at most. */
const RESOLUTION_BATCH_MAX_KEYS = 128;

export interface IdentifierRecord {
  handle: string;
  prefixKey: string;
  values: HandleJsonValue[];
  templateVersion: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface IdentifierRow {
  handleKey: string;
  handle: string;
  prefixKey: string;
  /** The values already serialised as JSON text. */
  valuesJson: string;
  templateVersion: string | null;
}

interface RecordRow {
  handle: string;
  prefix_key: string;
  values: HandleJsonValue[];
  template_version: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

const RECORD_COLUMNS = `handle, prefix_key, "values", template_version, version, created_at, updated_at`;

/**
 * All SQL on identifiers. Reads are primary-key lookups; bulk writes are one statement per batch
 * over unnest()ed arrays, never a statement per row.
 *
 * The table is hash-partitioned by prefix_key (migration PartitionedStore1797200000000): its primary
 * key is (handle_key, prefix_key), and prefix_key is always split_part(handle_key, '/', 1) (a check
 * constraint). Every statement on known keys names the prefix as well, so that PostgreSQL reads one
 * partition (pruned at plan time, or per key at run time in a nested loop over unnest()), and every
 * ON CONFLICT names the whole key.
 */
/** A row as the resolution read returns it (one primary-key lookup): the values still as jsonb text. */
export interface ResolutionRow {
  handle: string;
  prefixKey: string;
  valuesJson: string;
  templateVersion: string | null;
  version: number;
  /** ISO 8601. */
  updatedAt: string;
}

interface ResolutionQueryRow {
  handle_key: string;
  handle: string;
  prefix_key: string;
  values_json: string;
  template_version: string | null;
  version: number;
  updated_at: string;
}

@Injectable()
export class IdentifierRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    /** Listings run on the heavy-read pool (config/heavy-read.config.ts), never on resolution's; the main pool where there is none (a partial test module). */
    @Optional() @InjectDataSource(HEAVY_READ_DATA_SOURCE) private readonly heavyReadPool?: DataSource,
    /** DATABASE_READ_URLS: resolution misses go to a replica that has replayed past the keys' last writes. */
    @Optional() private readonly replicas?: ReadReplicas,
  ) {}

  private get heavyReads(): DataSource {
    return this.heavyReadPool ?? this.dataSource;
  }

  async findByKey(handleKey: string, manager: EntityManager = this.dataSource.manager, forUpdate = false): Promise<IdentifierRecord | undefined> {
    const rows: RecordRow[] = await manager.query(
      `SELECT ${RECORD_COLUMNS} FROM identifiers WHERE handle_key = $1 AND prefix_key = split_part($1, '/', 1)${forUpdate ? ' FOR UPDATE' : ''}`,
      [handleKey],
    );
    return rows.length > 0 ? toRecord(rows[0]) : undefined;
  }

  /**
   * The resolution read: primary-key lookups as one named prepared statement straight on the
   * driver's pg pool (no ORM layer on the hot path), values returned as jsonb text so that they
   * are parsed once, by the record builder. Concurrent lookups share statements (BatchedLookup):
   * at most RESOLUTION_STATEMENTS_IN_FLIGHT run at once, the keys arriving meanwhile go together
   * in the next one.
   */
  findForResolution(handleKey: string): Promise<ResolutionRow | undefined> {
    return this.resolutionLookup.load(handleKey);
  }

  private readonly resolutionLookup = new BatchedLookup<string, ResolutionRow>(
    (keys) => this.fetchForResolution(keys),
    RESOLUTION_STATEMENTS_IN_FLIGHT,
    RESOLUTION_BATCH_MAX_KEYS,
  );

  private async fetchForResolution(keys: string[]): Promise<Map<string, ResolutionRow>> {
    const statement = {
      name: 'idis-resolve-by-keys',
      // Identifiers of a deactivated (disabled) prefix are no longer served; any other state of the
      // prefix row (or none) does not matter here.
      text: `SELECT i.handle_key, i.handle, i.prefix_key, i."values"::text AS values_json, i.template_version, i.version, to_json(i.updated_at) #>> '{}' AS updated_at
               FROM unnest($1::varchar[]) AS k(key)
               JOIN identifiers i ON i.handle_key = k.key AND i.prefix_key = split_part(k.key, '/', 1)
              WHERE NOT EXISTS (SELECT 1 FROM enterprise_prefixes p WHERE p.prefix_key = i.prefix_key AND p.status = 'disabled')`,
      values: [keys],
    };
    const result = this.replicas ? await this.replicas.queryForKeys<ResolutionQueryRow>(keys, statement, this.pool()) : await this.pool().query<ResolutionQueryRow>(statement);
    const found = new Map<string, ResolutionRow>();
    for (const row of result.rows) {
      found.set(row.handle_key, { handle: row.handle, prefixKey: row.prefix_key, valuesJson: row.values_json, templateVersion: row.template_version, version: row.version, updatedAt: row.updated_at });
    }
    return found;
  }

  private pool(): Pool {
    return (this.dataSource.driver as unknown as { master: Pool }).master;
  }

  /** Inserts the rows that do not exist yet; returns the keys actually inserted. */
  async insertMissing(rows: IdentifierRow[], manager: EntityManager = this.dataSource.manager): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const inserted: Array<{ handle_key: string }> = await manager.query(
      `INSERT INTO identifiers (handle_key, handle, prefix_key, "values", template_version)
       SELECT r->>'k', r->>'h', r->>'p', r->'v', r->>'t' FROM jsonb_array_elements($1::jsonb) AS r
       ON CONFLICT (handle_key, prefix_key) DO NOTHING
       RETURNING handle_key`,
      [rowsJson(rows)],
    );
    return new Set(inserted.map((row) => row.handle_key));
  }

  /**
   * A bulk import under one prefix, in one transaction: `lines` (rows in COPY text format: handle
   * key, handle, values JSON, template version; copyTextLine makes them) go with COPY into a
   * temporary table, then the rows that do not exist yet go into identifiers with one INSERT …
   * SELECT (ON CONFLICT DO NOTHING, as insertMissing does), then `finish` runs with the
   * transaction's manager (the audit row). When `lines` or `finish` throws, nothing is written and
   * the error is rethrown. Returns the keys actually inserted and what `finish` returned.
   */
  async importRows<T>(
    prefixKey: string,
    lines: AsyncIterable<string>,
    finish: (manager: EntityManager, inserted: string[]) => Promise<T>,
  ): Promise<{ inserted: string[]; result: T }> {
    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    try {
      await runner.startTransaction();
      try {
        await runner.query(
          `CREATE TEMPORARY TABLE identifier_import (handle_key text, handle text, "values" jsonb, template_version text) ON COMMIT DROP`,
        );
        await pipeline(Readable.from(lines), client.query(copyFrom('COPY identifier_import (handle_key, handle, "values", template_version) FROM STDIN')));
        const rows: Array<{ handle_key: string }> = await runner.query(
          `INSERT INTO identifiers (handle_key, handle, prefix_key, "values", template_version)
           SELECT handle_key, handle, $1, "values", template_version FROM identifier_import
           ON CONFLICT (handle_key, prefix_key) DO NOTHING
           RETURNING handle_key`,
          [prefixKey],
        );
        const inserted = rows.map((row) => row.handle_key);
        const result = await finish(runner.manager, inserted);
        await runner.commitTransaction();
        return { inserted, result };
      } catch (error) {
        await runner.rollbackTransaction();
        throw error;
      }
    } finally {
      await runner.release();
    }
  }

  /**
   * Replaces the values of the rows that exist; returns the keys actually updated, each with the
   * values it had before (the audit log keeps their digest). The self-join reads the row as it was
   * before this statement.
   */
  async updateExisting(rows: IdentifierRow[], manager: EntityManager = this.dataSource.manager): Promise<Map<string, HandleJsonValue[]>> {
    if (rows.length === 0) return new Map();
    // TypeORM answers an UPDATE/DELETE with [rows, rowCount], not with the rows alone.
    const [updated]: [Array<{ handle_key: string; before: HandleJsonValue[] }>, number] = await manager.query(
      `UPDATE identifiers AS i
          SET "values" = u.v, template_version = u.t, version = i.version + 1, updated_at = now()
         FROM (SELECT r->>'k' AS k, r->'v' AS v, r->>'t' AS t FROM jsonb_array_elements($1::jsonb) AS r) AS u, identifiers AS old
        WHERE i.handle_key = u.k AND i.prefix_key = split_part(u.k, '/', 1)
          AND old.handle_key = u.k AND old.prefix_key = split_part(u.k, '/', 1)
        RETURNING i.handle_key, old."values" AS before`,
      [rowsJson(rows)],
    );
    return new Map(updated.map((row) => [row.handle_key, row.before]));
  }

  /**
   * Creates or replaces one record; returns whether it was created. A partitioned table has no
   * xmax to tell an insert from an update in RETURNING: an inserted row has version 1, an updated
   * one at least 2 (versions start at 1 and only grow).
   */
  async upsert(row: IdentifierRow, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    const result: Array<{ created: boolean }> = await manager.query(
      `INSERT INTO identifiers (handle_key, handle, prefix_key, "values", template_version)
       VALUES ($1, $2, $3, $4::jsonb, $5)
       ON CONFLICT (handle_key, prefix_key) DO UPDATE
          SET "values" = EXCLUDED."values", template_version = EXCLUDED.template_version,
              version = identifiers.version + 1, updated_at = now()
       RETURNING (identifiers.version = 1) AS created`,
      [row.handleKey, row.handle, row.prefixKey, row.valuesJson, row.templateVersion],
    );
    return result[0].created;
  }

  async replaceValues(manager: EntityManager, handleKey: string, valuesJson: string, templateVersion: string | null): Promise<void> {
    await manager.query(
      `UPDATE identifiers SET "values" = $2::jsonb, template_version = $3, version = version + 1, updated_at = now() WHERE handle_key = $1 AND prefix_key = split_part($1, '/', 1)`,
      [handleKey, valuesJson, templateVersion],
    );
  }

  /** Deletes the given keys; returns the keys actually deleted, each with the values it held. */
  async deleteKeys(handleKeys: string[], manager: EntityManager = this.dataSource.manager): Promise<Map<string, HandleJsonValue[]>> {
    if (handleKeys.length === 0) return new Map();
    const [deleted]: [Array<{ handle_key: string; values: HandleJsonValue[] }>, number] = await manager.query(
      `DELETE FROM identifiers i USING unnest($1::text[]) AS k(key)
        WHERE i.handle_key = k.key AND i.prefix_key = split_part(k.key, '/', 1)
        RETURNING i.handle_key, i."values"`,
      [handleKeys],
    );
    return new Map(deleted.map((row) => [row.handle_key, row.values]));
  }

  /**
   * Handles directly under a prefix, in key order. The "C"-collated primary key makes this a range
   * scan: every key under prefix P lies in [P + '/', P + '0') since '0' follows '/' in ASCII.
   */
  async listUnderPrefix(prefixKey: string, offset: number, limit: number): Promise<string[]> {
    const rows: Array<{ handle: string }> = await this.heavyReads.query(
      `SELECT handle FROM identifiers WHERE prefix_key = $5 AND handle_key >= $1 AND handle_key < $2 ORDER BY handle_key OFFSET $3 LIMIT $4`,
      [`${prefixKey}/`, `${prefixKey}0`, offset, limit, prefixKey],
    );
    return rows.map((row) => row.handle);
  }

  async countUnderPrefix(prefixKey: string): Promise<number> {
    const rows: Array<{ count: string }> = await this.heavyReads.query(
      `SELECT count(*) AS count FROM identifiers WHERE prefix_key = $3 AND handle_key >= $1 AND handle_key < $2`,
      [`${prefixKey}/`, `${prefixKey}0`, prefixKey],
    );
    return Number(rows[0].count);
  }

  /**
   * One page of a search (registry/identifier-search.ts says how it is bounded): the scope's key
   * ranges are disjoint and given in key order, so the result in key order is each range's rows in
   * turn; every range is read in primary-key order and stops after `offset + limit` matches.
   */
  async searchPage(search: IdentifierSearch, offset: number, limit: number): Promise<SearchRow[]> {
    const sql = new SqlParameters();
    const wanted = sql.add(offset + limit);
    const branches = scopeParts(search).map(
      (part, position) =>
        `(SELECT ${position} AS part, s.handle_key, s.handle, s."values", s.template_version, s.updated_at
            FROM ${source(sql, part, search)} s ${matchCondition(sql, search)}
           ORDER BY s.handle_key LIMIT ${wanted})`,
    );
    const rows: Array<{ handle: string; values: HandleJsonValue[]; template_version: string | null; updated_at: Date }> = await this.heavyReads.query(
      `SELECT u.handle, u."values", u.template_version, u.updated_at FROM (${branches.join(' UNION ALL ')}) u
        ORDER BY u.part, u.handle_key OFFSET ${sql.add(offset)} LIMIT ${sql.add(limit)}`,
      sql.values,
    );
    return rows.map((row) => ({ handle: row.handle, values: row.values, templateVersion: row.template_version, updatedAt: row.updated_at }));
  }

  /**
   * How many identifiers match, counted up to `cap` + 1 per range (`capped` when the sum passes
   * `cap`), and, for a value search, whether some range held more identifiers than it examines.
   */
  async searchCount(search: IdentifierSearch, cap: number): Promise<{ total: number; capped: boolean; scanLimited: boolean }> {
    const sql = new SqlParameters();
    const counted = sql.add(cap + 1);
    const parts = scopeParts(search);
    const matches = parts.map((part) => `(SELECT count(*) FROM (SELECT 1 FROM ${source(sql, part, search)} s ${matchCondition(sql, search)} LIMIT ${counted}) m)`);
    const beyond = search.value
      ? parts.map((part) => `(SELECT count(*) FROM (SELECT 1 FROM identifiers i ${rangeCondition(sql, part)} LIMIT ${sql.add(search.value!.scanLimit + 1)}) r) > ${sql.add(search.value!.scanLimit)}`)
      : ['false'];
    const rows: Array<{ total: string; scan_limited: boolean }> = await this.heavyReads.query(
      `SELECT ${matches.join(' + ')} AS total, ${beyond.join(' OR ')} AS scan_limited`,
      sql.values,
    );
    const total = Number(rows[0].total);
    return { total: Math.min(total, cap), capped: total > cap, scanLimited: rows[0].scan_limited };
  }

  /** The identifiers of the given keys that exist, each with the enterprise owning its prefix (null: none). */
  async findWithOwner(handleKeys: string[]): Promise<Map<string, { handle: string; prefixKey: string; enterpriseId: string | null }>> {
    if (handleKeys.length === 0) return new Map();
    const rows: Array<{ handle_key: string; handle: string; prefix_key: string; enterprise_id: string | null }> = await this.dataSource.query(
      `SELECT i.handle_key, i.handle, i.prefix_key, p.enterprise_id
         FROM identifiers i LEFT JOIN enterprise_prefixes p ON p.prefix_key = i.prefix_key
         JOIN unnest($1::varchar[]) AS k(key) ON i.handle_key = k.key AND i.prefix_key = split_part(k.key, '/', 1)`,
      [handleKeys],
    );
    return new Map(rows.map((row) => [row.handle_key, { handle: row.handle, prefixKey: row.prefix_key, enterpriseId: row.enterprise_id }]));
  }

  async anyUsesTemplate(prefixKey: string, templateVersion: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM identifiers WHERE prefix_key = $4 AND handle_key >= $1 AND handle_key < $2 AND template_version = $3 LIMIT 1`,
      [`${prefixKey}/`, `${prefixKey}0`, templateVersion, prefixKey],
    );
    return rows.length > 0;
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }
}

/** One row of a search page. */
export interface SearchRow {
  handle: string;
  values: HandleJsonValue[];
  templateVersion: string | null;
  updatedAt: Date;
}

/** Positional parameters collected while a statement is put together. */
class SqlParameters {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** The scope's ranges, or one part without bounds (the whole table, for an operator). */
function scopeParts(search: IdentifierSearch): Array<KeyRange | undefined> {
  return search.ranges ?? [undefined];
}

/** A range lies under one prefix (keyRanges): naming it lets PostgreSQL read that prefix's partition only. */
function rangeCondition(sql: SqlParameters, range: KeyRange | undefined): string {
  if (!range) return '';
  return `WHERE i.prefix_key = ${sql.add(range.from.slice(0, range.from.indexOf('/')))} AND i.handle_key >= ${sql.add(range.from)} AND i.handle_key < ${sql.add(range.to)}`;
}

/**
 * The rows one range offers to the filter: the range itself, or for a value search its first
 * `scanLimit` identifiers in key order (what bounds the work of a search that matches little).
 */
function source(sql: SqlParameters, range: KeyRange | undefined, search: IdentifierSearch): string {
  if (!search.value) return `(SELECT i.* FROM identifiers i ${rangeCondition(sql, range)})`;
  return `(SELECT i.* FROM identifiers i ${rangeCondition(sql, range)} ORDER BY i.handle_key LIMIT ${sql.add(search.value.scanLimit)})`;
}

/**
 * A value search: some string value's text contains the term (ILIKE). The jsonb text of the whole
 * record is tested first when it can only be a superset (the term holds nothing that JSON
 * escapes), which spares unpacking the values of most rows.
 */
function matchCondition(sql: SqlParameters, search: IdentifierSearch): string {
  const value = search.value;
  if (!value) return '';
  const prefilter = value.recordTextPattern === undefined ? '' : `s."values"::text ILIKE ${sql.add(value.recordTextPattern)} AND `;
  return `WHERE ${prefilter}EXISTS (SELECT 1 FROM jsonb_array_elements(s."values") v
                    WHERE v->'data'->>'format' = 'string' AND jsonb_typeof(v->'data'->'value') = 'string' AND v->'data'->>'value' ILIKE ${sql.add(value.pattern)})`;
}

/** One row of an import in COPY text format (importRows): backslash, tab, CR and LF escaped. */
export function copyTextLine(row: Pick<IdentifierRow, 'handleKey' | 'handle' | 'valuesJson' | 'templateVersion'>): string {
  return `${copyText(row.handleKey)}\t${copyText(row.handle)}\t${copyText(row.valuesJson)}\t${row.templateVersion === null ? '\\N' : copyText(row.templateVersion)}\n`;
}

const COPY_SPECIAL = /[\\\t\n\r]/g;
const HAS_COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function copyText(text: string): string {
  return HAS_COPY_SPECIAL.test(text) ? text.replace(COPY_SPECIAL, (c) => COPY_ESCAPES[c]) : text;
}

/**
 * Rows as one jsonb array parameter: k handle key, h handle, p prefix key, t template version, v the
 * values (their stored JSON, spliced in as it is). pg would escape text[] and jsonb[] literals
 * element by element in JavaScript; this is one concatenation. Read with jsonb_array_elements, the
 * values are parsed once (as the whole parameter) and copied into the column as they are: 2,000 rows
 * insert in ~88 % of the time of the unnest of five arrays, where json_to_recordset took ~135 %.
 */
function rowsJson(rows: IdentifierRow[]): string {
  let text = '[';
  for (let i = 0; i < rows.length; i += 1) {
    const row = rows[i];
    const template = row.templateVersion === null ? 'null' : JSON.stringify(row.templateVersion);
    text += `${i === 0 ? '' : ','}{"k":${JSON.stringify(row.handleKey)},"h":${JSON.stringify(row.handle)},"p":${JSON.stringify(row.prefixKey)},"t":${template},"v":${row.valuesJson}}`;
  }
  return `${text}]`;
}

function toRecord(row: RecordRow): IdentifierRecord {
  return {
    handle: row.handle,
    prefixKey: row.prefix_key,
    values: row.values,
    templateVersion: row.template_version,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
