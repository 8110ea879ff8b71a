import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { HEAVY_READ_DATA_SOURCE } from '../config/heavy-read.config';

export type EnterpriseStatus = 'active' | 'suspended';

/** An enterprises table row, and the keyset cursor of its place in the listing. */
export interface EnterpriseRow {
  id: string;
  orgName: string;
  creditCode: string;
  status: EnterpriseStatus;
  contactName: string;
  contactPhone: string;
  contactEmail: string;
  createdAt: Date;
  updatedAt: Date;
  cursor: EnterpriseCursor;
}

/** created_at as PostgreSQL's own text (microseconds, which a Date would round) and the id. */
export interface EnterpriseCursor {
  createdAt: string;
  id: string;
}

export interface EnterpriseFilter {
  status?: EnterpriseStatus;
  /** Substring of the organisation name, credit code or one of its prefixes, case-insensitive. */
  q?: string;
}

export interface PrefixRow {
  enterpriseId: string;
  prefixKey: string;
  prefix: string;
  status: string;
}

/** Sums of usage_counts per kind and outcome (resolution: l1…error, registration: create…delete). */
export interface UsageSum {
  kind: string;
  outcome: string;
  count: number;
}

const ENTERPRISE_COLUMNS = `e.id, e.org_name AS "orgName", e.credit_code AS "creditCode", e.status, e.contact_name AS "contactName",
  e.contact_phone AS "contactPhone", e.contact_email AS "contactEmail", e.created_at AS "createdAt", e.updated_at AS "updatedAt", e.created_at::text AS cursor_at`;

/**
 * The reads behind the operator's enterprise pages and reports. The tables belong to the registry
 * (enterprises, enterprise_prefixes, identifiers) and to statistics (usage_counts); this folder only
 * reads them, on the heavy-read pool (its statement timeout answers 422 rather than letting a
 * report hold the database), and writes nothing.
 */
@Injectable()
export class EnterpriseOverviewRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Optional() @InjectDataSource(HEAVY_READ_DATA_SOURCE) private readonly heavyReadPool?: DataSource,
  ) {}

  private get reads(): DataSource {
    return this.heavyReadPool ?? this.dataSource;
  }

  /** A page of the listing, newest first, and the number of enterprises matching. */
  async page(filter: EnterpriseFilter, offset: number, limit: number): Promise<{ rows: EnterpriseRow[]; total: number }> {
    const { where, params } = whereOf(filter);
    const [rows, total] = await Promise.all([
      this.reads.query(`SELECT ${ENTERPRISE_COLUMNS} FROM enterprises e ${where} ORDER BY e.created_at DESC, e.id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`, [...params, limit, offset]) as Promise<RawEnterprise[]>,
      this.count(filter),
    ]);
    return { rows: rows.map(toRow), total };
  }

  async count(filter: EnterpriseFilter): Promise<number> {
    const { where, params } = whereOf(filter);
    const rows: Array<{ n: string }> = await this.reads.query(`SELECT count(*)::text AS n FROM enterprises e ${where}`, params);
    return Number(rows[0].n);
  }

  /** The listing after `after`, in its order: one page of an export. */
  async after(filter: EnterpriseFilter, after: EnterpriseCursor | undefined, limit: number): Promise<EnterpriseRow[]> {
    const { where, params } = whereOf(filter, after);
    const rows: RawEnterprise[] = await this.reads.query(`SELECT ${ENTERPRISE_COLUMNS} FROM enterprises e ${where} ORDER BY e.created_at DESC, e.id LIMIT $${params.length + 1}`, [...params, limit]);
    return rows.map(toRow);
  }

  async find(id: string): Promise<EnterpriseRow | undefined> {
    const rows: RawEnterprise[] = await this.reads.query(`SELECT ${ENTERPRISE_COLUMNS} FROM enterprises e WHERE e.id = $1`, [id]);
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  /** Every enterprise that existed before `before` (a report's end), by organisation name. */
  async existingBefore(before: Date): Promise<EnterpriseRow[]> {
    const rows: RawEnterprise[] = await this.reads.query(`SELECT ${ENTERPRISE_COLUMNS} FROM enterprises e WHERE e.created_at < $1 ORDER BY e.org_name, e.id`, [before]);
    return rows.map(toRow);
  }

  /** The prefixes assigned to each of the enterprises, whatever their state, in key order. */
  async prefixesOf(enterpriseIds: string[]): Promise<PrefixRow[]> {
    if (enterpriseIds.length === 0) return [];
    return this.reads.query(
      `SELECT enterprise_id AS "enterpriseId", prefix_key AS "prefixKey", prefix, status FROM enterprise_prefixes
        WHERE enterprise_id = ANY($1::uuid[]) ORDER BY prefix_key`,
      [enterpriseIds],
    );
  }

  /**
   * Identifiers registered under each enterprise's prefixes, counted exactly: one range scan of the
   * identifiers primary key per prefix (every key under P lies in [P + '/', P + '0'), see
   * IdentifierRepository.listUnderPrefix), so the cost grows with the identifiers counted; naming
   * the prefix reads only its partition (identifiers is hash-partitioned by prefix_key).
   */
  async identifierCounts(enterpriseIds: string[]): Promise<Map<string, number>> {
    if (enterpriseIds.length === 0) return new Map();
    const rows: Array<{ enterprise_id: string; n: string }> = await this.reads.query(
      `SELECT p.enterprise_id,
              sum((SELECT count(*) FROM identifiers i
                    WHERE i.prefix_key = p.prefix_key
                      AND i.handle_key >= (p.prefix_key || '/') COLLATE "C" AND i.handle_key < (p.prefix_key || '0') COLLATE "C"))::text AS n
         FROM enterprise_prefixes p
        WHERE p.enterprise_id = ANY($1::uuid[])
        GROUP BY p.enterprise_id`,
      [enterpriseIds],
    );
    return new Map(rows.map((row) => [row.enterprise_id, Number(row.n)]));
  }

  /** Usage of the given prefixes over [from, to), summed per kind and outcome (the primary key's prefix_key, minute range). */
  async usageOfPrefixes(prefixKeys: string[], from: Date, to: Date): Promise<UsageSum[]> {
    if (prefixKeys.length === 0) return [];
    const rows: Array<{ kind: string; outcome: string; n: string }> = await this.reads.query(
      `SELECT kind, outcome, sum(count)::text AS n FROM usage_counts
        WHERE prefix_key = ANY($1::text[]) AND minute >= $2 AND minute < $3
        GROUP BY kind, outcome`,
      [prefixKeys, from, to],
    );
    return rows.map((row) => ({ kind: row.kind, outcome: row.outcome, count: Number(row.n) }));
  }

  /**
   * Usage of the calendar month `month` (YYYY-MM) per enterprise owning the prefix (prefixes of no
   * enterprise are left out), read from the daily roll-ups, whose days are those of STATS_TIME_ZONE
   * (statistics keeps them so): about 31 rows per prefix, kind and outcome, where the minute rows
   * were 44,640.
   */
  async usagePerEnterpriseInMonth(month: string): Promise<Array<UsageSum & { enterpriseId: string }>> {
    const rows: Array<{ enterprise_id: string; kind: string; outcome: string; n: string }> = await this.reads.query(
      `SELECT p.enterprise_id, u.kind, u.outcome, sum(u.count)::text AS n
         FROM usage_counts_daily u JOIN enterprise_prefixes p ON p.prefix_key = u.prefix_key
        WHERE p.enterprise_id IS NOT NULL AND u.kind IN ('resolution', 'registration')
          AND u.day >= ($1 || '-01')::date AND u.day < (($1 || '-01')::date + interval '1 month')
        GROUP BY p.enterprise_id, u.kind, u.outcome`,
      [month],
    );
    return rows.map((row) => ({ enterpriseId: row.enterprise_id, kind: row.kind, outcome: row.outcome, count: Number(row.n) }));
  }

  /**
   * The first instant of `month` (YYYY-MM) and of the month after, in `timeZone`, as PostgreSQL's
   * time zone database reckons them (a zone with summer time shifts within the year).
   */
  async monthBounds(month: string, timeZone: string): Promise<{ from: Date; to: Date }> {
    const rows: Array<{ from: Date; to: Date }> = await this.dataSource.query(
      `SELECT (($1 || '-01')::date::timestamp AT TIME ZONE $2) AS "from", ((($1 || '-01')::date + interval '1 month')::timestamp AT TIME ZONE $2) AS "to"`,
      [month, timeZone],
    );
    return rows[0];
  }
}

interface RawEnterprise extends Omit<EnterpriseRow, 'cursor'> {
  cursor_at: string;
}

function toRow(raw: RawEnterprise): EnterpriseRow {
  const { cursor_at: cursorAt, ...row } = raw;
  return { ...row, creditCode: row.creditCode.trim(), cursor: { createdAt: cursorAt, id: row.id } };
}

function whereOf(filter: EnterpriseFilter, after?: EnterpriseCursor): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filter.status) {
    params.push(filter.status);
    conditions.push(`e.status = $${params.length}`);
  }
  if (filter.q) {
    params.push(`%${escapeLike(filter.q)}%`);
    const n = params.length;
    conditions.push(`(e.org_name ILIKE $${n} OR e.credit_code ILIKE $${n} OR EXISTS (SELECT 1 FROM enterprise_prefixes p WHERE p.enterprise_id = e.id AND p.prefix ILIKE $${n}))`);
  }
  if (after) {
    params.push(after.createdAt, after.id);
    const n = params.length;
    conditions.push(`(e.created_at < $${n - 1}::timestamptz OR (e.created_at = $${n - 1}::timestamptz AND e.id > $${n}::uuid))`);
  }
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
