import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { HEAVY_READ_DATA_SOURCE } from '../config/heavy-read.config';
import { PrefixDirectory } from '../registry/prefix-directory.service';
import type { SourceSegment } from './stats-calendar';
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
  /** Where each part of [fromMs, toMs) is summed from (planSources); default: the minute rows. */
  segments?: SourceSegment[];
}

/** The prefix_key of the roll-up rows that sum every prefix_key (usage-rollup.entities.ts). */
export const ROLLUP_ALL_PREFIXES = '*';

/** Sums from the daily roll-up per kind and outcome: one day, the 30 days before it, and all days. */
export interface DailyTotals {
  kind: string;
  outcome: string;
  today: number;
  last30Days: number;
  cumulative: number;
}

/** One enterprise prefix's resolutions in a month. */
export interface PrefixRanking {
  prefix: string;
  enterpriseId: string | null;
  enterpriseName: string | null;
  resolutions: number;
  found: number;
  notFound: number;
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
   * Each segment reads its own table: minute rows by the primary key (per prefix) or
   * ix_usage_counts_kind_minute (node-wide); the roll-ups by their primary key, node-wide through
   * their '*' rows. A daily segment always starts at `from` (planSources), with one point per day.
   */
  async sumByBucket(selection: SeriesSelection): Promise<BucketCount[]> {
    const segments = selection.segments ?? [{ source: 'minute', fromMs: selection.fromMs, toMs: selection.toMs }];
    if (selection.prefixKeys !== undefined && selection.prefixKeys.length === 0) return [];
    // Parameters are numbered as they are first used: PostgreSQL refuses one no statement uses.
    const params: unknown[] = [selection.kind];
    const param = (value: unknown) => `$${params.push(value)}`;
    const once = (value: () => unknown) => {
      let placeholder: string | undefined;
      return () => (placeholder ??= param(value()));
    };
    const fromSeconds = once(() => selection.fromMs / 1000);
    const stepSeconds = once(() => selection.stepMs / 1000);
    const prefixKeys = once(() => selection.prefixKeys);
    const rollupFilter = () => (selection.prefixKeys === undefined ? `prefix_key = '${ROLLUP_ALL_PREFIXES}'` : `prefix_key = ANY(${prefixKeys()}::text[])`);
    const minuteFilter = () => (selection.prefixKeys === undefined ? '' : `AND prefix_key = ANY(${prefixKeys()}::text[])`);
    const parts = segments.map((segment) => {
      if (segment.source === 'daily') {
        const from = param(segment.fromDate);
        return `SELECT (day - ${from}::date)::int AS bucket, outcome, count FROM usage_counts_daily
                 WHERE ${rollupFilter()} AND kind = $1 AND day >= ${from}::date AND day < ${param(segment.toDate)}::date`;
      }
      const [table, column, filter] = segment.source === 'hourly' ? ['usage_counts_hourly', 'hour', rollupFilter()] : ['usage_counts', 'minute', `kind = $1 ${minuteFilter()}`];
      return `SELECT ((extract(epoch FROM ${column})::bigint - ${fromSeconds()}::bigint) / ${stepSeconds()}::bigint)::int AS bucket, outcome, count FROM ${table}
               WHERE ${filter} AND kind = $1 AND ${column} >= to_timestamp(${param(segment.fromMs / 1000)}::bigint) AND ${column} < to_timestamp(${param(segment.toMs / 1000)}::bigint)`;
    });
    const rows: Array<{ bucket: number; outcome: string; count: string }> = await (this.heavyReads ?? this.dataSource).query(
      `SELECT bucket, outcome, sum(count)::text AS count FROM (${parts.join(' UNION ALL ')}) s GROUP BY 1, 2`,
      params,
    );
    return rows.map((row) => ({ bucket: row.bucket, outcome: row.outcome, count: Number(row.count) }));
  }

  /**
   * Resolutions and registrations of the whole node per outcome from the daily roll-up: on
   * `today` (a local date), on the 30 days before it, and on every day counted (first day too).
   */
  async dailyTotals(today: string): Promise<{ totals: DailyTotals[]; firstDay: string | null }> {
    const rows: Array<{ kind: string; outcome: string; today: string; last30: string; cumulative: string; first_day: string | null }> = await (this.heavyReads ?? this.dataSource).query(
      `SELECT kind, outcome,
              coalesce(sum(count) FILTER (WHERE day = $1::date), 0)::text AS today,
              coalesce(sum(count) FILTER (WHERE day >= $1::date - 30 AND day < $1::date), 0)::text AS last30,
              sum(count)::text AS cumulative,
              to_char(min(day), 'YYYY-MM-DD') AS first_day
         FROM usage_counts_daily
        WHERE prefix_key = '${ROLLUP_ALL_PREFIXES}' AND kind IN ('resolution', 'registration')
        GROUP BY kind, outcome`,
      [today],
    );
    const firstDays = rows.map((row) => row.first_day).filter((day): day is string => day !== null).sort();
    return {
      totals: rows.map((row) => ({ kind: row.kind, outcome: row.outcome, today: Number(row.today), last30Days: Number(row.last30), cumulative: Number(row.cumulative) })),
      firstDay: firstDays[0] ?? null,
    };
  }

  /** Resolutions of the whole node in the minute starting at `minute` (all replicas that flushed it). */
  async resolutionsInMinute(minute: Date): Promise<number> {
    const rows: Array<{ n: string | null }> = await this.dataSource.query(`SELECT sum(count)::text AS n FROM usage_counts WHERE kind = 'resolution' AND minute = $1`, [minute]);
    return Number(rows[0]?.n ?? 0);
  }

  /** Enterprises whose status is active (approved and not deactivated). */
  async activeEnterprises(): Promise<number> {
    const rows: Array<{ n: number }> = await this.dataSource.query(`SELECT count(*)::int AS n FROM enterprises WHERE status = 'active'`);
    return rows[0]?.n ?? 0;
  }

  /**
   * The enterprise prefixes homed here with the most resolutions (all outcomes) over the local
   * dates [fromDate, toDate), with their enterprise; ties by prefix. Prefixes without any are left out.
   */
  async topPrefixes(fromDate: string, toDate: string, limit: number): Promise<PrefixRanking[]> {
    const rows: Array<{ prefix: string; enterprise_id: string | null; org_name: string | null; resolutions: string; found: string; not_found: string }> = await (this.heavyReads ?? this.dataSource).query(
      `SELECT p.prefix, p.enterprise_id, e.org_name, r.resolutions::text, r.found::text, r.not_found::text
         FROM (SELECT prefix_key, sum(count) AS resolutions,
                      coalesce(sum(count) FILTER (WHERE outcome IN ('l1', 'l2', 'db')), 0) AS found,
                      coalesce(sum(count) FILTER (WHERE outcome = 'not_found'), 0) AS not_found
                 FROM usage_counts_daily
                WHERE kind = 'resolution' AND day >= $1::date AND day < $2::date
                GROUP BY prefix_key) r
         JOIN enterprise_prefixes p ON p.prefix_key = r.prefix_key
         LEFT JOIN enterprises e ON e.id = p.enterprise_id
        WHERE r.resolutions > 0
        ORDER BY r.resolutions DESC, p.prefix_key
        LIMIT $3`,
      [fromDate, toDate, limit],
    );
    return rows.map((row) => ({
      prefix: row.prefix,
      enterpriseId: row.enterprise_id,
      enterpriseName: row.org_name,
      resolutions: Number(row.resolutions),
      found: Number(row.found),
      notFound: Number(row.not_found),
    }));
  }

  /**
   * Makes the daily roll-up hold days of `timeZone`: when it holds another zone's, both roll-ups
   * are recomputed from usage_counts (flushes wait meanwhile). Returns whether it rebuilt; a
   * replica that finds the work done by another does nothing.
   */
  async ensureRollupTimeZone(timeZone: string): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      const rows: Array<{ time_zone: string }> = await manager.query(`SELECT time_zone FROM usage_rollup_settings WHERE id = 1 FOR UPDATE`);
      if (rows[0]?.time_zone === timeZone) return false;
      await manager.query(`SELECT usage_rollup_rebuild($1)`, [timeZone]);
      return true;
    });
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
