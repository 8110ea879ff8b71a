import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CaptureJobEntity, type CaptureJobStatus } from './entities/capture-job.entity';

export interface NewCaptureJob {
  id: string;
  enterprisePrefix: string;
  accountId: string;
  status: CaptureJobStatus;
  eventCount: number;
  stored: number;
  duplicates: number;
  problems: Array<{ path: string; message: string }> | null;
  finished: boolean;
}

/** Capture jobs, and the read-only look-ups the capture path needs about who may capture where. */
@Injectable()
export class CaptureJobRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(job: NewCaptureJob): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO epcis_capture_jobs (id, enterprise_prefix, account_id, status, event_count, stored, duplicates, problems, finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, CASE WHEN $9::boolean THEN now() ELSE NULL END)`,
      [job.id, job.enterprisePrefix, job.accountId, job.status, job.eventCount, job.stored, job.duplicates, job.problems ? JSON.stringify(job.problems) : null, job.finished],
    );
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
