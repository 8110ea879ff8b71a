import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { NodeEnrolmentEntity } from './node-enrolment.entity';

/** What enrolment stores: the credentials and where they were issued. */
export interface NewEnrolment {
  nodeId: string;
  topLevelUrl: string;
  assignedPrefix: string;
  keyId: string;
  secretSealed: string;
  enrolledAt: Date;
}

/** Where the statistics reports have got to (per node, shared by its replicas). */
export interface ReportProgress {
  /** Sequence number of the last report written. */
  sequence: number;
  /** End of the last period reported (exclusive); null before the first report. */
  reportedUntil: Date | null;
}

/** What TypeORM answers to an UPDATE … RETURNING: the rows and the number of rows changed. */
type Updated<T> = [T[], number];

/**
 * All SQL of the node's standing with the top level (node_enrolment): the credentials it was
 * issued, and the per-node counters every replica shares (heartbeat and report sequences, report
 * progress, the last heartbeat acknowledgement).
 */
@Injectable()
export class EnrolmentRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Runs `work` in one transaction that holds the node's lock for `purpose` until commit: replicas
   * of one node enrol one at a time, and generate statistics reports one at a time.
   */
  underNodeLock<T>(nodeId: string, purpose: 'enrol' | 'report', work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`upstream:${purpose}:${nodeId}`]);
      return work(manager);
    });
  }

  findEnrolment(nodeId: string, manager: EntityManager = this.dataSource.manager): Promise<NodeEnrolmentEntity | null> {
    return manager.getRepository(NodeEnrolmentEntity).findOne({ where: { nodeId } });
  }

  /** Stores fresh credentials; sequences and report progress are kept (they are per node, monotonic). */
  async saveEnrolment(manager: EntityManager, enrolment: NewEnrolment): Promise<void> {
    await manager.query(
      `INSERT INTO node_enrolment (node_id, top_level_url, assigned_prefix, key_id, secret_sealed, enrolled_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (node_id) DO UPDATE SET
         top_level_url = EXCLUDED.top_level_url, assigned_prefix = EXCLUDED.assigned_prefix, key_id = EXCLUDED.key_id,
         secret_sealed = EXCLUDED.secret_sealed, enrolled_at = EXCLUDED.enrolled_at`,
      [enrolment.nodeId, enrolment.topLevelUrl, enrolment.assignedPrefix, enrolment.keyId, enrolment.secretSealed, enrolment.enrolledAt],
    );
  }

  /** The next heartbeat sequence number, or undefined when the node is not enrolled. */
  async nextHeartbeatSequence(nodeId: string): Promise<number | undefined> {
    const [rows]: Updated<{ heartbeat_sequence: string }> = await this.dataSource.query(
      `UPDATE node_enrolment SET heartbeat_sequence = heartbeat_sequence + 1 WHERE node_id = $1 RETURNING heartbeat_sequence`,
      [nodeId],
    );
    return rows.length > 0 ? Number(rows[0].heartbeat_sequence) : undefined;
  }

  async recordHeartbeatAck(nodeId: string, at: Date): Promise<void> {
    await this.dataSource.query(`UPDATE node_enrolment SET last_heartbeat_ack_at = $2 WHERE node_id = $1`, [nodeId, at]);
  }

  /** Report progress, locked for the caller's transaction; undefined when the node is not enrolled. */
  async reportProgress(manager: EntityManager, nodeId: string): Promise<ReportProgress | undefined> {
    const rows: Array<{ report_sequence: string; reported_until: Date | null }> = await manager.query(
      `SELECT report_sequence, reported_until FROM node_enrolment WHERE node_id = $1 FOR UPDATE`,
      [nodeId],
    );
    return rows.length > 0 ? { sequence: Number(rows[0].report_sequence), reportedUntil: rows[0].reported_until } : undefined;
  }

  async saveReportProgress(manager: EntityManager, nodeId: string, progress: { sequence: number; reportedUntil: Date }): Promise<void> {
    await manager.query(`UPDATE node_enrolment SET report_sequence = $2, reported_until = $3 WHERE node_id = $1`, [nodeId, progress.sequence, progress.reportedUntil]);
  }
}
