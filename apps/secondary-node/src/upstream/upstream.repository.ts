import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { NodeEnrolmentEntity } from './node-enrolment.entity';
import { type OutboxKind, type OutboxStatus, UpstreamOutboxEntity } from './upstream-outbox.entity';

export interface OutboxItem {
  id: string;
  kind: OutboxKind;
  payload: Record<string, unknown>;
  clientTransactionId: string;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  response: Record<string, unknown> | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

export interface OutboxDepth {
  pending: number;
  failed: number;
  delivered: number;
}

/** Per-minute usage sums of one prefix, for a statistics report. */
export interface PrefixVolumeRow {
  prefix: string;
  registrations: number;
  resolutions: number;
  notFound: number;
  errors: number;
}

interface OutboxRow {
  id: string;
  kind: OutboxKind;
  payload: Record<string, unknown>;
  client_transaction_id: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  response: Record<string, unknown> | null;
  created_at: Date;
  delivered_at: Date | null;
}

function toItem(row: OutboxRow): OutboxItem {
  return {
    id: row.id,
    kind: row.kind,
    payload: row.payload,
    clientTransactionId: row.client_transaction_id,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    response: row.response,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
  };
}

/** TypeORM answers an UPDATE … RETURNING with [rows, affected]; other statements with the rows. */
function returnedRows<T>(result: unknown): T[] {
  const array = result as unknown[];
  return (Array.isArray(array[0]) ? array[0] : array) as T[];
}

/** All SQL of the upstream module: the node's enrolment row and the outbox. */
@Injectable()
export class UpstreamRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** Serialises enrolment and report generation across replicas of one node (held until commit). */
  async lockNode(manager: EntityManager, nodeId: string, purpose: 'enrol' | 'report'): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`upstream:${purpose}:${nodeId}`]);
  }

  findEnrolment(nodeId: string, manager: EntityManager = this.dataSource.manager): Promise<NodeEnrolmentEntity | null> {
    return manager.getRepository(NodeEnrolmentEntity).findOne({ where: { nodeId } });
  }

  /** Stores fresh credentials; sequences and report progress are kept (they are per node, monotonic). */
  async saveEnrolment(
    manager: EntityManager,
    enrolment: { nodeId: string; topLevelUrl: string; assignedPrefix: string; keyId: string; secretSealed: string; enrolledAt: Date },
  ): Promise<void> {
    await manager.query(
      `INSERT INTO node_enrolment (node_id, top_level_url, assigned_prefix, key_id, secret_sealed, enrolled_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (node_id) DO UPDATE SET
         top_level_url = EXCLUDED.top_level_url, assigned_prefix = EXCLUDED.assigned_prefix, key_id = EXCLUDED.key_id,
         secret_sealed = EXCLUDED.secret_sealed, enrolled_at = EXCLUDED.enrolled_at`,
      [enrolment.nodeId, enrolment.topLevelUrl, enrolment.assignedPrefix, enrolment.keyId, enrolment.secretSealed, enrolment.enrolledAt],
    );
  }

  async nextHeartbeatSequence(nodeId: string): Promise<number | undefined> {
    const rows = returnedRows<{ heartbeat_sequence: string }>(
      await this.dataSource.query(`UPDATE node_enrolment SET heartbeat_sequence = heartbeat_sequence + 1 WHERE node_id = $1 RETURNING heartbeat_sequence`, [nodeId]),
    );
    return rows.length > 0 ? Number(rows[0].heartbeat_sequence) : undefined;
  }

  async recordHeartbeatAck(nodeId: string, at: Date): Promise<void> {
    await this.dataSource.query(`UPDATE node_enrolment SET last_heartbeat_ack_at = $2 WHERE node_id = $1`, [nodeId, at]);
  }

  /** Report progress, locked for the caller's transaction. */
  async reportProgress(manager: EntityManager, nodeId: string): Promise<{ sequence: number; reportedUntil: Date | null } | undefined> {
    const rows: Array<{ report_sequence: string; reported_until: Date | null }> = await manager.query(
      `SELECT report_sequence, reported_until FROM node_enrolment WHERE node_id = $1 FOR UPDATE`,
      [nodeId],
    );
    return rows.length > 0 ? { sequence: Number(rows[0].report_sequence), reportedUntil: rows[0].reported_until } : undefined;
  }

  async saveReportProgress(manager: EntityManager, nodeId: string, sequence: number, reportedUntil: Date): Promise<void> {
    await manager.query(`UPDATE node_enrolment SET report_sequence = $2, reported_until = $3 WHERE node_id = $1`, [nodeId, sequence, reportedUntil]);
  }

  /** The first minute with any count (where the first report starts), or undefined if nothing was counted. */
  async earliestUsageMinute(manager: EntityManager): Promise<Date | undefined> {
    const rows: Array<{ first: Date | null }> = await manager.query(`SELECT min(minute) AS first FROM usage_counts`);
    return rows[0]?.first ?? undefined;
  }

  /**
   * Volumes per enterprise prefix over [from, to) from the statistics counts: each prefix homed
   * here (it has a row in enterprise_prefixes) under its own name, everything else under '-' —
   * the shared bucket, and foreign prefixes this node resolved through the top level (counted
   * under their own key locally, for operators, but they are other nodes' prefixes, not this
   * node's volumes). Homed prefixes first, '-' last.
   */
  async volumes(manager: EntityManager, from: Date, to: Date): Promise<PrefixVolumeRow[]> {
    const rows: Array<{ prefix: string; registrations: string; resolutions: string; not_found: string; errors: string }> = await manager.query(
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

  /** Adds an item in the caller's transaction; a repeated client transaction id adds nothing (false). */
  async enqueue(manager: EntityManager, item: { kind: OutboxKind; payload: Record<string, unknown>; clientTransactionId: string }): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO upstream_outbox (kind, payload, client_transaction_id) VALUES ($1, $2::jsonb, $3)
       ON CONFLICT (client_transaction_id) DO NOTHING RETURNING id`,
      [item.kind, JSON.stringify(item.payload), item.clientTransactionId],
    );
    return rows.length > 0;
  }

  /**
   * Takes the oldest due pending item for delivery: SKIP LOCKED lets several replicas claim
   * different items at once, and the lease (next_attempt_at pushed by leaseMs) keeps one attempt
   * in flight per item, also after this process dies mid-call.
   */
  async claimDue(leaseMs: number): Promise<OutboxItem | undefined> {
    const result: unknown = await this.dataSource.query(
      `UPDATE upstream_outbox SET next_attempt_at = now() + ($1::int * interval '1 millisecond'), attempts = attempts + 1
        WHERE id = (SELECT id FROM upstream_outbox WHERE status = 'pending' AND next_attempt_at <= now()
                     ORDER BY next_attempt_at, created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING *`,
      [leaseMs],
    );
    const updated = returnedRows<OutboxRow>(result);
    return updated.length > 0 ? toItem(updated[0]) : undefined;
  }

  async markDelivered(id: string, response: Record<string, unknown>): Promise<void> {
    await this.dataSource.query(
      `UPDATE upstream_outbox SET status = 'delivered', delivered_at = now(), last_error = NULL, response = $2::jsonb WHERE id = $1`,
      [id, JSON.stringify(response)],
    );
  }

  async markRetry(id: string, delayMs: number, error: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE upstream_outbox SET next_attempt_at = now() + ($2::int * interval '1 millisecond'), last_error = $3 WHERE id = $1 AND status = 'pending'`,
      [id, Math.round(delayMs), error],
    );
  }

  async markFailed(id: string, error: string): Promise<void> {
    await this.dataSource.query(`UPDATE upstream_outbox SET status = 'failed', last_error = $2 WHERE id = $1 AND status = 'pending'`, [id, error]);
  }

  /** Puts a failed (or waiting) item back in line at once; undefined if there is no such item, false if it was delivered. */
  async retryNow(id: string): Promise<OutboxItem | undefined | false> {
    const rows: OutboxRow[] = await this.dataSource.query(`SELECT * FROM upstream_outbox WHERE id = $1`, [id]);
    if (rows.length === 0) return undefined;
    if (rows[0].status === 'delivered') return false;
    const updated: unknown = await this.dataSource.query(
      `UPDATE upstream_outbox SET status = 'pending', attempts = 0, next_attempt_at = now() WHERE id = $1 AND status <> 'delivered' RETURNING *`,
      [id],
    );
    const row = returnedRows<OutboxRow>(updated);
    return row.length > 0 ? toItem(row[0]) : false;
  }

  async list(status: OutboxStatus | undefined, limit: number, offset: number): Promise<{ items: OutboxItem[]; total: number }> {
    const where = status ? `WHERE status = $3` : '';
    const params: unknown[] = [limit, offset];
    if (status) params.push(status);
    const rows: OutboxRow[] = await this.dataSource.query(
      `SELECT * FROM upstream_outbox ${where} ORDER BY created_at DESC, id LIMIT $1 OFFSET $2`,
      params,
    );
    const count: Array<{ n: string }> = await this.dataSource.query(`SELECT count(*)::text AS n FROM upstream_outbox ${status ? 'WHERE status = $1' : ''}`, status ? [status] : []);
    return { items: rows.map(toItem), total: Number(count[0].n) };
  }

  async depth(): Promise<OutboxDepth> {
    const rows: Array<{ status: OutboxStatus; n: string }> = await this.dataSource.query(`SELECT status, count(*)::text AS n FROM upstream_outbox GROUP BY status`);
    const depth: OutboxDepth = { pending: 0, failed: 0, delivered: 0 };
    for (const row of rows) depth[row.status] = Number(row.n);
    return depth;
  }

  async lastReport(): Promise<OutboxItem | undefined> {
    const rows: OutboxRow[] = await this.dataSource.query(
      `SELECT * FROM upstream_outbox WHERE kind = 'statistics-report' ORDER BY created_at DESC, (payload->>'sequence')::bigint DESC LIMIT 1`,
    );
    return rows.length > 0 ? toItem(rows[0]) : undefined;
  }
}
