import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { NewOutboxItem, OutboxItem, OutboxItemOf, OutboxResponse, OutboxStatus } from './outbox-item';
import { currentRequestContext } from '../http/request-context';

export interface OutboxDepth {
  pending: number;
  failed: number;
  delivered: number;
}

/** The columns of upstream_outbox under the names of OutboxItem: a row read with them is an item. */
const ITEM_COLUMNS = `id, kind, payload, client_transaction_id AS "clientTransactionId", status, attempts,
  next_attempt_at AS "nextAttemptAt", last_error AS "lastError", response, created_at AS "createdAt", delivered_at AS "deliveredAt", request_id AS "requestId"`;

/** Where an export page resumes: the last item's created_at (PostgreSQL text) and id. */
export interface OutboxCursor {
  createdAt: string;
  id: string;
}

/** What TypeORM answers to an UPDATE … RETURNING: the rows and the number of rows changed. */
type Updated<T> = [T[], number];

/**
 * All SQL of the upstream outbox (upstream_outbox): items are written in the transaction of the
 * local change that needs them, and handed to OutboxWorker one at a time. The payload and
 * response columns are jsonb; an item's kind says what they hold (outbox-item.ts).
 */
@Injectable()
export class OutboxRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Adds an item in the caller's transaction; a repeated client transaction id adds nothing (false). */
  async enqueue(manager: EntityManager, item: NewOutboxItem): Promise<boolean> {
    const rows: Array<{ id: string }> = await manager.query(
      `INSERT INTO upstream_outbox (kind, payload, client_transaction_id, request_id) VALUES ($1, $2::jsonb, $3, $4)
       ON CONFLICT (client_transaction_id) DO NOTHING RETURNING id`,
      // The request (or ingestion batch) that caused the item, so its delivery can be traced back to it.
      [item.kind, JSON.stringify(item.payload), item.clientTransactionId, currentRequestContext()?.requestId ?? null],
    );
    return rows.length > 0;
  }

  /**
   * Takes the oldest due pending item for delivery: SKIP LOCKED lets several replicas claim
   * different items at once, and the lease (next_attempt_at pushed by leaseMs) keeps one attempt
   * in flight per item, also after this process dies mid-call.
   */
  async claimDue(leaseMs: number): Promise<OutboxItem | undefined> {
    const [claimed]: Updated<OutboxItem> = await this.dataSource.query(
      `UPDATE upstream_outbox SET next_attempt_at = now() + ($1::int * interval '1 millisecond'), attempts = attempts + 1
        WHERE id = (SELECT id FROM upstream_outbox WHERE status = 'pending' AND next_attempt_at <= now()
                     ORDER BY next_attempt_at, created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING ${ITEM_COLUMNS}`,
      [leaseMs],
    );
    return claimed[0];
  }

  async markDelivered(id: string, response: OutboxResponse): Promise<void> {
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
  /** `within` runs last in the same transaction when the item was put back in line (its audit row). */
  async retryNow(id: string, within?: (manager: EntityManager, before: OutboxStatus) => Promise<void>): Promise<OutboxItem | undefined | false> {
    return this.dataSource.transaction(async (manager) => {
      const rows: Array<{ status: OutboxStatus }> = await manager.query(`SELECT status FROM upstream_outbox WHERE id = $1 FOR UPDATE`, [id]);
      if (rows.length === 0) return undefined;
      if (rows[0].status === 'delivered') return false;
      const [updated]: Updated<OutboxItem> = await manager.query(
        `UPDATE upstream_outbox SET status = 'pending', attempts = 0, next_attempt_at = now() WHERE id = $1 AND status <> 'delivered' RETURNING ${ITEM_COLUMNS}`,
        [id],
      );
      if (updated[0] && within) await within(manager, rows[0].status);
      return updated[0] ?? false;
    });
  }

  async list(status: OutboxStatus | undefined, limit: number, offset: number): Promise<{ items: OutboxItem[]; total: number }> {
    const where = status ? `WHERE status = $3` : '';
    const params: unknown[] = [limit, offset];
    if (status) params.push(status);
    const items: OutboxItem[] = await this.dataSource.query(
      `SELECT ${ITEM_COLUMNS} FROM upstream_outbox ${where} ORDER BY created_at DESC, id LIMIT $1 OFFSET $2`,
      params,
    );
    return { items, total: await this.count(status) };
  }

  /**
   * The listing's order (newest first) after a keyset cursor, for an export a page at a time. The
   * cursor's created_at is PostgreSQL's own text: a Date would round its microseconds.
   */
  async listAfter(status: OutboxStatus | undefined, after: OutboxCursor | undefined, limit: number): Promise<Array<{ item: OutboxItem; cursor: OutboxCursor }>> {
    const conditions: string[] = [];
    const params: unknown[] = [limit];
    if (status) {
      params.push(status);
      conditions.push(`status = $${params.length}`);
    }
    if (after) {
      params.push(after.createdAt, after.id);
      conditions.push(`(created_at < $${params.length - 1}::timestamptz OR (created_at = $${params.length - 1}::timestamptz AND id > $${params.length}::uuid))`);
    }
    const rows: Array<OutboxItem & { cursor_at: string }> = await this.dataSource.query(
      `SELECT ${ITEM_COLUMNS}, created_at::text AS cursor_at FROM upstream_outbox ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
        ORDER BY created_at DESC, id LIMIT $1`,
      params,
    );
    return rows.map(({ cursor_at: createdAt, ...item }) => ({ item: item as OutboxItem, cursor: { createdAt, id: item.id } }));
  }

  async count(status: OutboxStatus | undefined): Promise<number> {
    const rows: Array<{ n: string }> = await this.dataSource.query(`SELECT count(*)::text AS n FROM upstream_outbox ${status ? 'WHERE status = $1' : ''}`, status ? [status] : []);
    return Number(rows[0].n);
  }

  async depth(): Promise<OutboxDepth> {
    const rows: Array<{ status: OutboxStatus; n: string }> = await this.dataSource.query(`SELECT status, count(*)::text AS n FROM upstream_outbox GROUP BY status`);
    const depth: OutboxDepth = { pending: 0, failed: 0, delivered: 0 };
    for (const row of rows) depth[row.status] = Number(row.n);
    return depth;
  }

  /** The newest statistics report, whatever its status. */
  async lastReport(): Promise<OutboxItemOf<'statistics-report'> | undefined> {
    const rows: Array<OutboxItemOf<'statistics-report'>> = await this.dataSource.query(
      `SELECT ${ITEM_COLUMNS} FROM upstream_outbox WHERE kind = 'statistics-report' ORDER BY created_at DESC, (payload->>'sequence')::bigint DESC LIMIT 1`,
    );
    return rows[0];
  }
}
