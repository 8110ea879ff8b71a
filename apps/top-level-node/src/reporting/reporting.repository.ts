import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { NodeRepository } from '../nodes/node.repository';

export interface VolumeRow {
  prefix: string;
  registrations: number;
  resolutions: number;
  notFound: number;
  errors: number;
}

export interface VolumeTotals {
  nodeId: string;
  day: string;
  prefix?: string;
  registrations: number;
  resolutions: number;
  notFound: number;
  errors: number;
  reports: number;
}

/** All SQL on statistics reports and reported volumes. */
@Injectable()
export class ReportingRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly nodes: NodeRepository,
  ) {}

  /**
   * Stores a report once per (node, period): a repeat changes nothing and answers `duplicate`.
   * Otherwise its volumes are stored and the sequence is checked for gaps, in one transaction.
   */
  async storeReport(
    nodeId: string,
    report: { sequence: number; periodStart: Date; periodEnd: Date; volumes: VolumeRow[] },
  ): Promise<{ duplicate: boolean; missingBefore: number }> {
    return this.dataSource.transaction(async (manager) => {
      const inserted: unknown[] = await manager.query(
        `INSERT INTO statistics_reports (node_id, period_start, period_end, sequence, volume_count) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING RETURNING 1`,
        [nodeId, report.periodStart, report.periodEnd, report.sequence, report.volumes.length],
      );
      if (inserted.length === 0) return { duplicate: true, missingBefore: 0 };
      if (report.volumes.length > 0) {
        const v = report.volumes;
        await manager.query(
          `INSERT INTO reported_volumes (node_id, period_start, period_end, prefix, registrations, resolutions, not_found, errors)
           SELECT $1, $2, $3, u.prefix, u.registrations, u.resolutions, u.not_found, u.errors
             FROM unnest($4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[]) AS u(prefix, registrations, resolutions, not_found, errors)`,
          [
            nodeId,
            report.periodStart,
            report.periodEnd,
            v.map((r) => r.prefix),
            v.map((r) => r.registrations),
            v.map((r) => r.resolutions),
            v.map((r) => r.notFound),
            v.map((r) => r.errors),
          ],
        );
      }
      const missingBefore = await this.nodes.advanceSequence(manager, nodeId, 'report', report.sequence);
      return { duplicate: false, missingBefore };
    });
  }

  /** Sums per node and UTC day of the period start (and per prefix when asked). */
  async totals(filter: { nodeId?: string; from: Date; to: Date; byPrefix: boolean; limit: number }): Promise<VolumeTotals[]> {
    const params: unknown[] = [filter.from, filter.to, filter.limit];
    let nodeFilter = '';
    if (filter.nodeId) {
      params.push(filter.nodeId);
      nodeFilter = 'AND node_id = $4';
    }
    const prefixColumn = filter.byPrefix ? ', prefix' : '';
    const rows: Array<Record<string, string>> = await this.dataSource.query(
      `SELECT node_id, to_char(date_trunc('day', period_start AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day${prefixColumn},
              sum(registrations)::text AS registrations, sum(resolutions)::text AS resolutions,
              sum(not_found)::text AS not_found, sum(errors)::text AS errors, count(DISTINCT (period_start, period_end))::text AS reports
         FROM reported_volumes
        WHERE period_start >= $1 AND period_start < $2 ${nodeFilter}
        GROUP BY node_id, day${prefixColumn}
        ORDER BY day DESC, node_id${prefixColumn}
        LIMIT $3`,
      params,
    );
    return rows.map((r) => ({
      nodeId: r.node_id,
      day: r.day,
      ...(filter.byPrefix ? { prefix: r.prefix } : {}),
      registrations: Number(r.registrations),
      resolutions: Number(r.resolutions),
      notFound: Number(r.not_found),
      errors: Number(r.errors),
      reports: Number(r.reports),
    }));
  }
}
