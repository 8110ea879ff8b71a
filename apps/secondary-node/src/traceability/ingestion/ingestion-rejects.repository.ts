import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { HEAVY_READ_DATA_SOURCE } from '../../config/heavy-read.config';

/** What the rejects listing filters on; `scope` restricts it to an enterprise's prefix keys. */
export interface RejectFilter {
  /** Lower-cased prefix keys the caller may see; undefined for an operator (every reject, also those of no prefix). */
  scope?: string[];
  prefixKey?: string;
  reason?: string;
  /** Received at or after. */
  from?: Date;
  /** Received before. */
  to?: Date;
}

export interface RejectRow {
  /** bigint as text: the keyset cursor of an export. */
  id: string;
  receivedAt: Date;
  enterprisePrefix: string | null;
  source: 'mqtt' | 'capture';
  topic: string | null;
  reason: string;
  problems: Array<{ path: string; message: string }>;
  payload: string;
}

const COLUMNS = `id::text AS id, received_at AS "receivedAt", enterprise_prefix AS "enterprisePrefix", source, topic, reason, problems, payload`;

/**
 * Reads of epcis_rejects (written by EventStore with the batch that refused them), newest first by
 * id: the bigint identity follows insertion, so the primary key serves "the latest rejects" and
 * keyset paging without a sort. On the heavy-read pool: a listing never takes resolution's connections.
 */
@Injectable()
export class IngestionRejectsRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Optional() @InjectDataSource(HEAVY_READ_DATA_SOURCE) private readonly heavyReadPool?: DataSource,
  ) {}

  private get reads(): DataSource {
    return this.heavyReadPool ?? this.dataSource;
  }

  async page(filter: RejectFilter, offset: number, limit: number): Promise<RejectRow[]> {
    const { where, params } = whereOf(filter);
    return this.reads.query(`SELECT ${COLUMNS} FROM epcis_rejects ${where} ORDER BY id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`, [...params, limit, offset]);
  }

  /** The rows below `beforeId` (the last row of the previous page), newest first. */
  async before(filter: RejectFilter, beforeId: string | undefined, limit: number): Promise<RejectRow[]> {
    const { where, params } = whereOf(filter, beforeId);
    return this.reads.query(`SELECT ${COLUMNS} FROM epcis_rejects ${where} ORDER BY id DESC LIMIT $${params.length + 1}`, [...params, limit]);
  }

  async count(filter: RejectFilter): Promise<number> {
    const { where, params } = whereOf(filter);
    const rows: Array<{ n: string }> = await this.reads.query(`SELECT count(*)::text AS n FROM epcis_rejects ${where}`, params);
    return Number(rows[0].n);
  }

  /**
   * Every prefix key the enterprise holds, whatever its state (a disabled prefix's old rejects
   * stay its own). enterprise_prefixes belongs to the registry, which exports no listing of an
   * enterprise's prefixes; this read-only query lives here for that reason (as in CaptureJobRepository).
   */
  async prefixKeysOfEnterprise(enterpriseId: string): Promise<string[]> {
    const rows: Array<{ prefix_key: string }> = await this.dataSource.query(`SELECT prefix_key FROM enterprise_prefixes WHERE enterprise_id = $1 ORDER BY prefix_key`, [enterpriseId]);
    return rows.map((row) => row.prefix_key);
  }
}

function whereOf(filter: RejectFilter, beforeId?: string): { where: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (condition: (n: number) => string, value: unknown) => {
    params.push(value);
    conditions.push(condition(params.length));
  };
  if (filter.scope !== undefined) add((n) => `enterprise_prefix = ANY($${n}::text[])`, filter.scope);
  if (filter.prefixKey !== undefined) add((n) => `enterprise_prefix = $${n}`, filter.prefixKey);
  if (filter.reason !== undefined) add((n) => `reason = $${n}`, filter.reason);
  if (filter.from !== undefined) add((n) => `received_at >= $${n}`, filter.from);
  if (filter.to !== undefined) add((n) => `received_at < $${n}`, filter.to);
  if (beforeId !== undefined) add((n) => `id < $${n}::bigint`, beforeId);
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}
