import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import type { Principal } from '../../auth/principal';
import type { FeedPosition } from './event-matcher';

/** A named query's definition as stored: the SimpleEventQuery parameters as the client gave them. */
export type QueryParameters = Record<string, string | string[]>;

export interface NamedQueryRow {
  id: string;
  owner: string;
  name: string;
  parameters: QueryParameters;
  createdAt: Date;
}

/** The caller whose read scope a subscription runs with (re-checked at every delivery). */
export type Subscriber = Pick<Principal, 'accountId' | 'username' | 'role' | 'enterpriseId' | 'apiKeyId' | 'keyScope'>;

export interface SubscriptionRow {
  id: string;
  queryId: string;
  queryName: string;
  parameters: QueryParameters;
  owner: string;
  subscriber: Subscriber;
  dest: string;
  sealedSecret: string;
  initialRecordTime: Date;
  cursor: FeedPosition;
  deliveredEvents: number;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  lastDeliveredAt: Date | null;
  createdAt: Date;
}

interface RawQuery {
  id: string;
  owner: string;
  name: string;
  parameters: QueryParameters;
  created_at: Date;
}

interface RawSubscription {
  id: string;
  query_id: string;
  query_name: string;
  parameters: QueryParameters;
  owner: string;
  subscriber: Subscriber;
  dest: string;
  sealed_secret: string;
  initial_record_time: Date;
  cursor_time: string;
  cursor_event_id: string;
  delivered_events: string;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  last_delivered_at: Date | null;
  created_at: Date;
}

const SUBSCRIPTION_COLUMNS = `s.id, s.query_id, q.name AS query_name, q.parameters, s.owner, s.subscriber, s.dest, s.sealed_secret, s.initial_record_time,
  s.cursor_time, s.cursor_event_id, s.delivered_events, s.attempts, s.next_attempt_at, s.last_error, s.last_delivered_at, s.created_at`;

/** epcis_named_queries and epcis_subscriptions (SQL only; see the migration 1797100000000). */
@Injectable()
export class SubscriptionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Inserts a named query unless the owner already has one of that name or holds `max` already.
   * The owner's rows are locked first (advisory lock per owner), so two concurrent creations
   * cannot both pass the count.
   */
  async createQuery(owner: string, name: string, parameters: QueryParameters, createdBy: Subscriber, max: number): Promise<NamedQueryRow | 'exists' | 'too-many'> {
    return this.dataSource.transaction(async (manager) => {
      await lockOwner(manager, owner);
      const [{ count, taken }]: Array<{ count: string; taken: boolean }> = await manager.query(
        `SELECT count(*) AS count, bool_or(name = $2) AS taken FROM epcis_named_queries WHERE owner = $1`,
        [owner, name],
      );
      if (taken) return 'exists';
      if (Number(count) >= max) return 'too-many';
      const rows: RawQuery[] = await manager.query(
        `INSERT INTO epcis_named_queries (owner, name, parameters, created_by) VALUES ($1, $2, $3::jsonb, $4::jsonb)
         RETURNING id, owner, name, parameters, created_at`,
        [owner, name, JSON.stringify(parameters), JSON.stringify(createdBy)],
      );
      return toQuery(rows[0]);
    });
  }

  async findQuery(owner: string, name: string): Promise<NamedQueryRow | null> {
    const rows: RawQuery[] = await this.dataSource.query(
      `SELECT id, owner, name, parameters, created_at FROM epcis_named_queries WHERE owner = $1 AND name = $2`,
      [owner, name],
    );
    return rows.length === 0 ? null : toQuery(rows[0]);
  }

  async queryExists(id: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(`SELECT 1 FROM epcis_named_queries WHERE id = $1`, [id]);
    return rows.length > 0;
  }

  /** One page of the owner's queries in name order (code points), plus one to tell whether more follow. */
  async listQueries(owner: string, after: string | null, limit: number): Promise<NamedQueryRow[]> {
    const rows: RawQuery[] = await this.dataSource.query(
      `SELECT id, owner, name, parameters, created_at FROM epcis_named_queries
        WHERE owner = $1 AND ($2::text IS NULL OR name COLLATE "C" > $2) ORDER BY name COLLATE "C" LIMIT $3`,
      [owner, after, limit],
    );
    return rows.map(toQuery);
  }

  /** Deletes the query and (ON DELETE CASCADE) its webhook subscriptions. */
  async deleteQuery(owner: string, name: string): Promise<boolean> {
    return affected(await this.dataSource.query(`DELETE FROM epcis_named_queries WHERE owner = $1 AND name = $2`, [owner, name])) > 0;
  }

  /** Inserts a webhook subscription unless the owner already holds `max` subscriptions (webhooks plus `openStreams`). */
  async createSubscription(
    input: { queryId: string; owner: string; subscriber: Subscriber; dest: string; sealedSecret: string; initialRecordTime: Date; cursor: FeedPosition },
    max: number,
    openStreams: number,
  ): Promise<SubscriptionRow | 'too-many'> {
    return this.dataSource.transaction(async (manager) => {
      await lockOwner(manager, input.owner);
      const [{ count }]: Array<{ count: string }> = await manager.query(`SELECT count(*) AS count FROM epcis_subscriptions WHERE owner = $1`, [input.owner]);
      if (Number(count) + openStreams >= max) return 'too-many';
      const inserted: Array<{ id: string }> = await manager.query(
        `INSERT INTO epcis_subscriptions (query_id, owner, subscriber, dest, sealed_secret, initial_record_time, cursor_time, cursor_event_id)
         VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8) RETURNING id`,
        [input.queryId, input.owner, JSON.stringify(input.subscriber), input.dest, input.sealedSecret, input.initialRecordTime, input.cursor.time, input.cursor.eventId],
      );
      const rows: RawSubscription[] = await manager.query(
        `SELECT ${SUBSCRIPTION_COLUMNS} FROM epcis_subscriptions s JOIN epcis_named_queries q ON q.id = s.query_id WHERE s.id = $1`,
        [inserted[0].id],
      );
      return toSubscription(rows[0]);
    });
  }

  async countSubscriptions(owner: string): Promise<number> {
    const [{ count }]: Array<{ count: string }> = await this.dataSource.query(`SELECT count(*) AS count FROM epcis_subscriptions WHERE owner = $1`, [owner]);
    return Number(count);
  }

  async listSubscriptions(queryId: string): Promise<SubscriptionRow[]> {
    const rows: RawSubscription[] = await this.dataSource.query(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM epcis_subscriptions s JOIN epcis_named_queries q ON q.id = s.query_id WHERE s.query_id = $1 ORDER BY s.created_at, s.id`,
      [queryId],
    );
    return rows.map(toSubscription);
  }

  async findSubscription(queryId: string, id: string): Promise<SubscriptionRow | null> {
    const rows: RawSubscription[] = await this.dataSource.query(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM epcis_subscriptions s JOIN epcis_named_queries q ON q.id = s.query_id WHERE s.query_id = $1 AND s.id = $2`,
      [queryId, id],
    );
    return rows.length === 0 ? null : toSubscription(rows[0]);
  }

  async deleteSubscription(queryId: string, id: string): Promise<boolean> {
    return affected(await this.dataSource.query(`DELETE FROM epcis_subscriptions WHERE query_id = $1 AND id = $2`, [queryId, id])) > 0;
  }

  /** Subscriptions of an enterprise being deactivated go with it (in the deactivation's transaction). */
  async deleteAllOfOwner(manager: EntityManager, owner: string): Promise<void> {
    await manager.query(`DELETE FROM epcis_named_queries WHERE owner = $1`, [owner]);
  }

  /**
   * Takes (or renews) the delivery lease of up to `limit` subscriptions for `replica`: those whose
   * lease is free, expired or already its own. Rows another replica is claiming right now are
   * skipped (FOR UPDATE SKIP LOCKED), so each subscription is delivered by one replica at a time.
   */
  async claim(replica: string, leaseMs: number, limit: number): Promise<SubscriptionRow[]> {
    const rows: RawSubscription[] = await this.dataSource.query(
      `WITH claimed AS (
         UPDATE epcis_subscriptions s SET lease_owner = $1, lease_until = now() + make_interval(secs => $2::double precision / 1000)
          WHERE s.id IN (SELECT id FROM epcis_subscriptions
                          WHERE lease_owner = $1 OR lease_until IS NULL OR lease_until < now()
                          ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING s.*)
       SELECT ${SUBSCRIPTION_COLUMNS} FROM claimed s JOIN epcis_named_queries q ON q.id = s.query_id`,
      [replica, leaseMs, limit],
    );
    return rows.map(toSubscription);
  }

  /**
   * The subscriptions whose lease `replica` holds now, read without locking. claim() skips rows
   * that are locked at that moment — among them this replica's own, while one of its
   * acknowledgements updates them — so what claim() leaves out is not necessarily lost.
   */
  async heldBy(replica: string): Promise<Set<string>> {
    const rows: Array<{ id: string }> = await this.dataSource.query(`SELECT id FROM epcis_subscriptions WHERE lease_owner = $1 AND lease_until > now()`, [replica]);
    return new Set(rows.map((row) => row.id));
  }

  /** Gives the leases of `replica` back (at shutdown), so that another replica takes over at once. */
  async release(replica: string): Promise<void> {
    await this.dataSource.query(`UPDATE epcis_subscriptions SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1`, [replica]);
  }

  /**
   * After the receivers acknowledged: the new positions, and how many events each took, for many
   * subscriptions in one statement (the delivery loop groups the acks of one moment). Only where
   * `replica` still holds the lease (else another replica has taken over and this changes
   * nothing); returns the ids that were updated. A delivery (`delivered` > 0) clears the failure
   * state; a position saved without one (events passed over, or written before a failure is
   * recorded) leaves `attempts`, `lastError` and the next attempt's time as they are, so a
   * failing subscription never shows as healthy in between.
   */
  async acknowledgedMany(replica: string, acks: Array<{ id: string; cursor: FeedPosition; delivered: number }>): Promise<Set<string>> {
    // Named (planned once per connection): deliveries run it many times a second. Committed
    // without waiting for the WAL flush (synchronous_commit off for this statement's own
    // transaction): a position lost in a crash only makes that delivery go out again, which the
    // at-least-once contract allows (GS1-Delivery-ID), and the ingestion's commits do not queue
    // behind dozens of flushes a second.
    const result = await (this.dataSource.driver as unknown as { master: Pool }).master.query<{ id: string }>({
      name: 'idis-subscriptions-acknowledged',
      text: `WITH async AS (SELECT set_config('synchronous_commit', 'off', true) AS setting)
             UPDATE epcis_subscriptions s
                SET cursor_time = a.cursor_time, cursor_event_id = a.cursor_event_id, delivered_events = s.delivered_events + a.delivered,
                    attempts = CASE WHEN a.delivered > 0 THEN 0 ELSE s.attempts END,
                    next_attempt_at = CASE WHEN a.delivered > 0 THEN now() ELSE s.next_attempt_at END,
                    last_error = CASE WHEN a.delivered > 0 THEN NULL ELSE s.last_error END,
                    last_delivered_at = CASE WHEN a.delivered > 0 THEN now() ELSE s.last_delivered_at END
               FROM unnest($2::uuid[], $3::text[], $4::text[], $5::bigint[]) AS a(id, cursor_time, cursor_event_id, delivered), async
              WHERE s.id = a.id AND s.lease_owner = $1 AND async.setting = 'off'
             RETURNING s.id`,
      values: [replica, acks.map((a) => a.id), acks.map((a) => a.cursor.time), acks.map((a) => a.cursor.eventId), acks.map((a) => a.delivered)],
    });
    return new Set(result.rows.map((row) => row.id));
  }

  /** A failed delivery: the position stays, the next attempt waits `delayMs`. */
  async failed(id: string, replica: string, attempts: number, delayMs: number, error: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE epcis_subscriptions SET attempts = $3, next_attempt_at = now() + make_interval(secs => $4::double precision / 1000), last_error = $5
        WHERE id = $1 AND lease_owner = $2`,
      [id, replica, attempts, delayMs, error.slice(0, 500)],
    );
  }
}

/** The pg driver answers an UPDATE or DELETE through DataSource.query with [rows, affected count]. */
function affected(result: unknown): number {
  if (Array.isArray(result) && result.length === 2 && typeof result[1] === 'number') return result[1];
  throw new Error(`unexpected answer to an UPDATE or DELETE: ${JSON.stringify(result).slice(0, 100)}`);
}

/** Serialises an owner's creations (count, then insert) without locking a table. */
async function lockOwner(manager: EntityManager, owner: string): Promise<void> {
  await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('epcis-subscriptions:' || $1, 0))`, [owner]);
}

function toQuery(row: RawQuery): NamedQueryRow {
  return { id: row.id, owner: row.owner, name: row.name, parameters: row.parameters, createdAt: row.created_at };
}

function toSubscription(row: RawSubscription): SubscriptionRow {
  return {
    id: row.id,
    queryId: row.query_id,
    queryName: row.query_name,
    parameters: row.parameters,
    owner: row.owner,
    subscriber: row.subscriber,
    dest: row.dest,
    sealedSecret: row.sealed_secret,
    initialRecordTime: row.initial_record_time,
    cursor: { time: row.cursor_time, eventId: row.cursor_event_id },
    deliveredEvents: Number(row.delivered_events),
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    lastError: row.last_error,
    lastDeliveredAt: row.last_delivered_at,
    createdAt: row.created_at,
  };
}
