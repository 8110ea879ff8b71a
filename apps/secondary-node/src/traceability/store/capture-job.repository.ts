import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { type CaptureErrorBehaviour, CaptureJobEntity, type CaptureJobProblem, type CaptureJobStatus } from './entities/capture-job.entity';

export interface NewCaptureJob {
  id: string;
  enterprisePrefix: string;
  accountId: string;
  status: CaptureJobStatus;
  /** rollback when not given */
  errorBehaviour?: CaptureErrorBehaviour;
  eventCount: number;
  stored: number;
  duplicates: number;
  /** events refused for their errors */
  rejected?: number;
  problems: CaptureJobProblem[] | null;
  finished: boolean;
}

/** Where a page of the job listing ended: created_at as PostgreSQL wrote it (UTC, microseconds) and the id. */
export interface CaptureJobPosition {
  createdAt: string;
  id: string;
}

/** Capture jobs, and the read-only look-ups the capture path needs about who may capture where. */
@Injectable()
export class CaptureJobRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(job: NewCaptureJob): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO epcis_capture_jobs (id, enterprise_prefix, account_id, status, event_count, stored, duplicates, problems, finished_at, error_behaviour, rejected)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, CASE WHEN $9::boolean THEN now() ELSE NULL END, $10, $11)`,
      [
        job.id, job.enterprisePrefix, job.accountId, job.status, job.eventCount, job.stored, job.duplicates,
        job.problems ? JSON.stringify(job.problems) : null, job.finished, job.errorBehaviour ?? 'rollback', job.rejected ?? 0,
      ],
    );
  }

  /**
   * A page of jobs, newest first, of the given enterprise prefixes (null: every prefix, for an
   * operator), after `after` when given. Returns up to `limit` jobs and the position of each.
   */
  async list(prefixKeys: string[] | null, after: CaptureJobPosition | undefined, limit: number): Promise<Array<{ job: CaptureJobEntity; position: CaptureJobPosition }>> {
    const rows: Array<{ id: string; created_key: string }> = await this.dataSource.query(
      `SELECT id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key
         FROM epcis_capture_jobs
        WHERE ($1::text[] IS NULL OR enterprise_prefix = ANY($1::text[]))
          AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY created_at DESC, id DESC
        LIMIT $4`,
      [prefixKeys, after?.createdAt ?? null, after?.id ?? null, limit],
    );
    if (rows.length === 0) return [];
    const jobs = await this.dataSource.getRepository(CaptureJobEntity).findBy({ id: In(rows.map((row) => row.id)) });
    const byId = new Map(jobs.map((job) => [job.id, job]));
    return rows.flatMap((row) => {
      const job = byId.get(row.id);
      return job ? [{ job, position: { createdAt: row.created_key, id: row.id } }] : [];
    });
  }

  find(id: string): Promise<CaptureJobEntity | null> {
    return this.dataSource.getRepository(CaptureJobEntity).findOne({ where: { id } });
  }

  /**
   * The active prefixes of an enterprise (lower-cased keys). enterprise_prefixes belongs to the
   * registry, which exports no service that lists an enterprise's prefixes; this read-only query
   * lives here for that reason (as in statistics/usage-count.repository.ts).
   */
  async activePrefixKeysOfEnterprise(enterpriseId: string): Promise<string[]> {
    const rows: Array<{ prefix_key: string }> = await this.dataSource.query(
      `SELECT p.prefix_key FROM enterprise_prefixes p JOIN enterprises e ON e.id = p.enterprise_id
        WHERE p.enterprise_id = $1 AND p.status = 'active' AND e.status = 'active' ORDER BY p.prefix_key`,
      [enterpriseId],
    );
    return rows.map((row) => row.prefix_key);
  }

  /** Every prefix key the enterprise holds, whatever its state (who may read a job). */
  async prefixKeysOfEnterprise(enterpriseId: string): Promise<string[]> {
    const rows: Array<{ prefix_key: string }> = await this.dataSource.query(`SELECT prefix_key FROM enterprise_prefixes WHERE enterprise_id = $1`, [enterpriseId]);
    return rows.map((row) => row.prefix_key);
  }
}
