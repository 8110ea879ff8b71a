import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { HEAVY_READ_DATA_SOURCE } from '../config/heavy-read.config';
import { PrefixDirectory } from '../registry/prefix-directory.service';
import type { UsageKind } from './usage-kinds';

/** Counts to add, as parallel columns ready for unnest(); each (prefix, minute, kind, outcome) occurs once. */
export interface UsageCountRows {
  prefixKeys: string[];
  /** Epoch minutes (Date.now() / 60000, floored). */
  minutes: number[];
  kinds: UsageKind[];
  outcomes: string[];
  counts: number[];
}

/** Sum of counts per series point and outcome. */
export interface BucketCount {
  bucket: number;
  outcome: string;
  count: number;
}

export interface SeriesSelection {
  kind: UsageKind;
  fromMs: number;
  toMs: number;
  stepMs: number;
  /** undefined: every prefix_key, including the '-' bucket of everything not homed here. */
  prefixKeys?: string[];
}

/** Usage of one enterprise prefix over a period (the '-' bucket: everything not homed here). */
export interface PrefixVolumes {
  prefix: string;
  registrations: number;
  resolutions: number;
  notFound: number;
  errors: number;
}

/** Where UsageCounter writes its counts and learns which prefixes it may count under their own key. */
export interface UsageCountStore {
  addCounts(rows: UsageCountRows): Promise<void>;
  homedPrefixKeys(): Promise<string[]>;
}

/**
 * All SQL of the statistics module, and of the usage sums upstream reports to the top level. The
 * enterprise_prefixes table belongs to the registry; the read-only queries on it live here because
 * the registry exports no service that lists prefixes.
 */
@Injectable()
export class UsageCountRepository implements UsageCountStore {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly directory: PrefixDirectory,
    /** Series sums run on the heavy-read pool (config/heavy-read.config.ts); the main pool when absent. */
    @Optional() @InjectDataSource(HEAVY_READ_DATA_SOURCE) private readonly heavyReads?: DataSource,
  ) {}

  /**
   * One additive upsert for a whole flush, safe when many replicas flush at once: rows are applied
   * in key order so that two concurrent flushes lock shared rows in the same order (no deadlock),
   * and each adds its own counts to whatever is already there.
   */
  async addCounts(rows: UsageCountRows): Promise<void> {
    if (rows.prefixKeys.length === 0) return;
    await this.dataSource.query(
      `INSERT INTO usage_counts AS t (prefix_key, minute, kind, outcome, count)
       SELECT u.prefix_key, to_timestamp(u.minute * 60), u.kind, u.outcome, u.count
         FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[]) AS u(prefix_key, minute, kind, outcome, count)
        ORDER BY u.prefix_key, u.minute, u.kind, u.outcome
       ON CONFLICT (prefix_key, minute, kind, outcome) DO UPDATE SET count = t.count + EXCLUDED.count`,
      [rows.prefixKeys, rows.minutes, rows.kinds, rows.outcomes, rows.counts],
    );
  }

  /** Prefixes counted under their own key: the registry's assigned prefixes (PrefixDirectory.assignedPrefixKeys). */
  homedPrefixKeys(): Promise<string[]> {
    return this.directory.assignedPrefixKeys();
  }

  /** A prefix of this node, or one with counts of its own (a foreign prefix located through the top level). */
  async prefixExists(prefixKey: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM enterprise_prefixes WHERE prefix_key = $1
       UNION ALL SELECT 1 FROM (SELECT 1 FROM usage_counts WHERE prefix_key = $1 LIMIT 1) counted`,
      [prefixKey],
    );
    return rows.length > 0;
  }

  async prefixKeysOfEnterprise(enterpriseId: string): Promise<string[]> {
    const rows: Array<{ prefix_key: string }> = await this.dataSource.query(
      `SELECT prefix_key FROM enterprise_prefixes WHERE enterprise_id = $1 ORDER BY prefix_key`,
      [enterpriseId],
    );
    return rows.map((row) => row.prefix_key);
  }

  /**
   * Sums per series point: point i covers minutes [from + i·step, from + (i+1)·step) clipped to `to`.
   * Per-prefix selections use the primary key (prefix_key, minute, …), node-wide ones ix_usage_counts_kind_minute.
   */
  async sumByBucket(selection: SeriesSelection): Promise<BucketCount[]> {
    const fromSeconds = selection.fromMs / 1000;
    const params: unknown[] = [selection.kind, fromSeconds, selection.toMs / 1000, selection.stepMs / 1000];
    let prefixFilter = '';
    if (selection.prefixKeys !== undefined) {
      if (selection.prefixKeys.length === 0) return [];
      params.push(selection.prefixKeys);
      prefixFilter = 'AND prefix_key = ANY($5::text[])';
    }
    const rows: Array<{ bucket: number; outcome: string; count: string }> = await (this.heavyReads ?? this.dataSource).query(
      `SELECT ((extract(epoch FROM minute)::bigint - $2::bigint) / $4::bigint)::int AS bucket, outcome, sum(count)::text AS count
         FROM usage_counts
        WHERE kind = $1 AND minute >= to_timestamp($2::bigint) AND minute < to_timestamp($3::bigint) ${prefixFilter}
        GROUP BY 1, 2`,
      params,
    );
    return rows.map((row) => ({ bucket: row.bucket, outcome: row.outcome, count: Number(row.count) }));
  }

  /** The first minute with any count, or undefined if nothing was counted. `manager`: read in the caller's transaction. */
  async firstCountedMinute(manager: EntityManager = this.dataSource.manager): Promise<Date | undefined> {
    const rows: Array<{ first: Date | null }> = await manager.query(`SELECT min(minute) AS first FROM usage_counts`);
    return rows[0]?.first ?? undefined;
  }

  /**
   * Volumes per enterprise prefix over [from, to), for the top level's statistics reports: each
   * prefix homed here (it has a row in enterprise_prefixes) under its own name, everything else
   * under '-' — the shared bucket, and foreign prefixes this node resolved through the top level
   * (counted under their own key locally, for operators, but they are other nodes' prefixes, not
   * this node's volumes). Homed prefixes first, '-' last. `manager`: read in the caller's transaction.
   */
  async volumesPerPrefix(from: Date, to: Date, manager: EntityManager = this.dataSource.manager): Promise<PrefixVolumes[]> {
    const rows: Array<{ prefix: string; registrations: string | null; resolutions: string | null; not_found: string | null; errors: string | null }> = await manager.query(
      `SELECT g.prefix,
              sum(g.count) FILTER (WHERE g.kind = 'registration')::text AS registrations,
              sum(g.count) FILTER (WHERE g.kind = 'resolution' AND g.outcome IN ('l1', 'l2', 'db'))::text AS resolutions,
              sum(g.count) FILTER (WHERE g.kind = 'resolution' AND g.outcome = 'not_found')::text AS not_found,
              sum(g.count) FILTER (WHERE g.kind = 'resolution' AND g.outcome = 'error')::text AS errors
         FROM (SELECT CASE WHEN EXISTS (SELECT 1 FROM enterprise_prefixes p WHERE p.prefix_key = u.prefix_key) THEN u.prefix_key ELSE '-' END AS prefix,
                      u.kind, u.outcome, u.count
                 FROM usage_counts u
                WHERE u.minute >= $1 AND u.minute < $2) g
        GROUP BY g.prefix
        ORDER BY g.prefix = '-', g.prefix`,
      [from, to],
    );
    return rows.map((row) => ({
      prefix: row.prefix,
      registrations: Number(row.registrations ?? 0),
      resolutions: Number(row.resolutions ?? 0),
      notFound: Number(row.not_found ?? 0),
      errors: Number(row.errors ?? 0),
    }));
  }
}
