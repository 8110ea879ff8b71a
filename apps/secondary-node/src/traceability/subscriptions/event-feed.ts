import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type RawEvent, toStoredEvent } from '../query/event-query.repository';
import { comparePositions, type FeedEvent, type FeedPosition, instantMicros } from './event-matcher';

const TIME_KEY = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/** Events kept in memory for subscriptions that are up to date (older positions are read from the database). */
const CACHED_EVENTS = 20_000;
/** Rows one database read returns. */
const READ_ROWS = 2_000;

interface RawFeedRow extends RawEvent {
  hash_id: string;
  event_type: string;
  action: string | null;
  biz_step: string | null;
  disposition: string | null;
  read_point: string | null;
  biz_location: string | null;
  identifiers: string[];
}

/** What a scan returns: every event in (after, upTo], in record-time order. */
export interface FeedSlice {
  events: FeedEvent[];
  upTo: FeedPosition;
}

/**
 * The stream of stored events in record-time order, for subscriptions.
 *
 * record_time is the start of the transaction that stored an event (PostgreSQL now()), and
 * transactions commit in any order: an event with an earlier record time may become visible
 * after one with a later. So a subscription only reads below the *horizon*: the start of the
 * oldest transaction still open on a writer connection of the node (or now, when none is). Every
 * event recorded before it is committed or never will be, so a position that passed it never has
 * to go back, and no event is skipped.
 *
 * Subscriptions that are up to date share one read: the newest events (up to 20,000) are kept in
 * memory and every subscription filters them itself (event-matcher.ts). One that lags behind
 * (a receiver that was down) reads its backlog from the database, 2,000 events at a time.
 */
@Injectable()
export class EventFeed {
  private horizonKey: string | null = null;
  private cache: { start: FeedPosition; end: FeedPosition; events: FeedEvent[] } | null = null;
  private advancing: Promise<void> | null = null;
  /** Counts completed advances: whatever was read as final by advance N committed before it ended. */
  private advances = 0;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * How many advances have completed. Every event scan() returns now was committed before the
   * last of them ended, so a read made after it (the caller's grants) sees every change committed
   * before those events.
   */
  generation(): number {
    return this.advances;
  }

  /** The current horizon as a position (computed by the last advance()). */
  horizon(): FeedPosition | null {
    return this.horizonKey === null ? null : { time: this.horizonKey, eventId: '' };
  }

  /**
   * Forgets the cache while nobody reads the feed (no subscription on this replica): the next
   * advance starts a new one at the horizon of then, and older positions read the database.
   */
  idle(): void {
    if (this.advancing) return;
    this.cache = null;
    this.horizonKey = null;
  }

  /** Moves the horizon on and reads what became final into the cache. One advance at a time. */
  advance(): Promise<void> {
    this.advancing ??= this.advanceNow().finally(() => {
      this.advances += 1;
      this.advancing = null;
    });
    return this.advancing;
  }

  /**
   * The horizon now, as a time key: the start of the oldest transaction still open on a connection
   * that can store events, or now. Those are the node's writer connections, on every replica: they
   * carry this connection's application_name ('idis-secondary-node'). Heavy reads, autovacuum, a
   * pg_dump or a psql session never hold subscriptions back.
   */
  async currentHorizon(): Promise<string> {
    const rows: Array<{ horizon: string }> = await this.dataSource.query(
      `SELECT to_char(least(now(), min(a.xact_start)) AT TIME ZONE 'UTC', ${TIME_KEY}) AS horizon
         FROM pg_stat_activity a
        WHERE a.datname = current_database() AND a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()
          AND a.application_name = current_setting('application_name') AND a.xact_start IS NOT NULL`,
    );
    return rows[0].horizon;
  }

  /**
   * The events after `after` that are final, in order: from memory when the cache covers them, else
   * from the database (at most READ_ROWS). Call advance() first at least once.
   */
  async scan(after: FeedPosition): Promise<FeedSlice> {
    const cache = this.cache;
    const horizon = this.horizon();
    if (!horizon) return { events: [], upTo: after };
    if (cache && comparePositions(after, cache.start) >= 0) {
      if (comparePositions(after, cache.end) >= 0) return { events: [], upTo: after };
      return { events: cache.events.slice(firstAfter(cache.events, after)), upTo: cache.end };
    }
    if (comparePositions(after, horizon) >= 0) return { events: [], upTo: after };
    const events = await this.read(after, horizon.time, READ_ROWS);
    const upTo = events.length === READ_ROWS ? { time: events[events.length - 1].recordTimeKey, eventId: events[events.length - 1].eventId } : horizon;
    return { events, upTo };
  }

  private async advanceNow(): Promise<void> {
    const horizonKey = await this.currentHorizon();
    if (this.horizonKey !== null && horizonKey < this.horizonKey) return; // never moves back (clock or snapshot noise)
    const horizon = { time: horizonKey, eventId: '' };
    if (!this.cache) {
      // Nothing before the first horizon is cached: older positions read the database.
      this.horizonKey = horizonKey;
      this.cache = { start: horizon, end: horizon, events: [] };
      return;
    }
    const cache = this.cache;
    let end = cache.end;
    for (let reads = 0; reads < 10; reads += 1) {
      const events = await this.read(end, horizonKey, READ_ROWS);
      cache.events.push(...events);
      if (events.length < READ_ROWS) {
        end = horizon;
        break;
      }
      const last = events[events.length - 1];
      end = { time: last.recordTimeKey, eventId: last.eventId };
    }
    cache.end = end;
    this.horizonKey = horizonKey;
    if (cache.events.length > CACHED_EVENTS) {
      const dropped = cache.events.splice(0, cache.events.length - CACHED_EVENTS);
      const last = dropped[dropped.length - 1];
      cache.start = { time: last.recordTimeKey, eventId: last.eventId };
    }
  }

  /** Events with position in (after, before-horizon), in order, at most `limit`. */
  private async read(after: FeedPosition, horizonKey: string, limit: number): Promise<FeedEvent[]> {
    const rows: RawFeedRow[] = await this.dataSource.query(
      `SELECT e.event_id, e.enterprise_prefix, e.hash_id, e.event_type, e.action, e.biz_step, e.disposition, e.read_point, e.biz_location,
              to_char(e.event_time AT TIME ZONE 'UTC', ${TIME_KEY}) AS event_time_key,
              to_char(e.record_time AT TIME ZONE 'UTC', ${TIME_KEY}) AS record_time_key,
              e.record_time, e.error_declared_at, e.error_reason, e.corrective_event_ids, e.document,
              ARRAY(SELECT i.role || ' ' || i.identifier FROM epcis_event_identifiers i WHERE i.event_id = e.event_id) AS identifiers
         FROM epcis_events e
        WHERE e.record_time >= $1::timestamptz AND e.record_time < $3::timestamptz
          AND (e.record_time > $1::timestamptz OR e.event_id COLLATE "C" > $2)
        ORDER BY e.record_time, e.event_id COLLATE "C"
        LIMIT $4`,
      [after.time, after.eventId, horizonKey, limit],
    );
    return rows.map(toFeedEvent);
  }
}

/** Index of the first event after `after` (binary search; events are in position order). */
function firstAfter(events: FeedEvent[], after: FeedPosition): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (comparePositions({ time: events[middle].recordTimeKey, eventId: events[middle].eventId }, after) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

function toFeedEvent(row: RawFeedRow): FeedEvent {
  return {
    ...toStoredEvent(row),
    hashId: row.hash_id,
    eventType: row.event_type,
    action: row.action,
    bizStep: row.biz_step,
    disposition: row.disposition,
    readPoint: row.read_point,
    bizLocation: row.biz_location,
    eventTimeMicros: instantMicros(row.event_time_key),
    recordTimeMicros: instantMicros(row.record_time_key),
    identifiers: row.identifiers,
  };
}
