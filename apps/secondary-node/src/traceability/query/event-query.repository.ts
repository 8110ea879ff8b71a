import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { HEAVY_READ_DATA_SOURCE } from '../../config/heavy-read.config';
import type { VisiblePrefixes } from '../grants/traceability-access.service';
import { type EventFilter, existsCondition, type OrderBy, type OrderDirection } from './event-query';
import type { PagePosition } from './page-token';

/** The top-level resources of the EPCIS 2.0 REST binding that list values (GET /eventTypes, /bizSteps, …, /epcs). */
export type DiscoveryResource = 'eventTypes' | 'bizSteps' | 'bizLocations' | 'readPoints' | 'dispositions' | 'epcs';

const DISCOVERY_COLUMNS: Record<Exclude<DiscoveryResource, 'epcs'>, string> = {
  eventTypes: 'event_type',
  bizSteps: 'biz_step',
  bizLocations: 'biz_location',
  readPoints: 'read_point',
  dispositions: 'disposition',
};

/** /epcs lists the identifiers of objects (EPC lists, parent, children, inputs, outputs), not classes in quantity lists. */
const INSTANCE_ROLES = ['epc', 'parent', 'child', 'input', 'output'];

/** One stored event as the query side reads it. */
export interface StoredEvent {
  eventId: string;
  enterprisePrefix: string;
  /** UTC with microseconds, the keyset position */
  eventTimeKey: string;
  /** the same for recordTime (orderBy=recordTime) */
  recordTimeKey: string;
  recordTime: Date;
  errorDeclaredAt: Date | null;
  errorReason: string | null;
  correctiveEventIds: string[] | null;
  document: Record<string, unknown>;
}

/** A row of EVENT_COLUMNS. */
export interface RawEvent {
  event_id: string;
  enterprise_prefix: string;
  event_time_key: string;
  record_time_key: string;
  record_time: Date;
  error_declared_at: Date | null;
  error_reason: string | null;
  corrective_event_ids: string[] | null;
  document: Record<string, unknown>;
}

export const EVENT_COLUMNS = `e.event_id, e.enterprise_prefix,
  to_char(e.event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS event_time_key,
  to_char(e.record_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS record_time_key,
  e.record_time, e.error_declared_at, e.error_reason, e.corrective_event_ids, e.document`;

/**
 * Reads epcis_events (written by traceability/store). Every query applies the caller's visible
 * prefixes in SQL, so paging never hides rows after the fact.
 */
@Injectable()
export class EventQueryRepository {
  /** The heavy-read pool (config/heavy-read.config.ts): bounded, with a statement timeout. */
  constructor(@InjectDataSource(HEAVY_READ_DATA_SOURCE) private readonly dataSource: DataSource) {}

  /**
   * One page in (order column, event_id) order — event_time or record_time, ascending or descending — plus one extra
   * row to tell whether another page follows.
   */
  async page(options: {
    filter: EventFilter;
    identifier: string | null;
    visible: VisiblePrefixes;
    after: PagePosition | null;
    limit: number;
    orderBy?: OrderBy;
    orderDirection?: OrderDirection;
  }): Promise<StoredEvent[]> {
    const params: unknown[] = [];
    const p = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const where: string[] = [];
    const { filter } = options;
    const hasIdentifier = (condition: string) => `EXISTS (SELECT 1 FROM epcis_event_identifiers i WHERE i.event_id = e.event_id AND ${condition})`;
    if (options.visible !== 'all') where.push(`e.enterprise_prefix = ANY(${p(options.visible)}::text[])`);
    if (filter.eventTypes) where.push(`e.event_type = ANY(${p(filter.eventTypes)}::text[])`);
    if (filter.geEventTime) where.push(`e.event_time >= ${p(filter.geEventTime)}::timestamptz`);
    if (filter.ltEventTime) where.push(`e.event_time < ${p(filter.ltEventTime)}::timestamptz`);
    if (filter.geRecordTime) where.push(`e.record_time >= ${p(filter.geRecordTime)}::timestamptz`);
    if (filter.ltRecordTime) where.push(`e.record_time < ${p(filter.ltRecordTime)}::timestamptz`);
    if (filter.bizSteps) where.push(`e.biz_step = ANY(${p(filter.bizSteps)}::text[])`);
    if (filter.dispositions) where.push(`e.disposition = ANY(${p(filter.dispositions)}::text[])`);
    if (filter.readPoints) where.push(`e.read_point = ANY(${p(filter.readPoints)}::text[])`);
    if (filter.bizLocations) where.push(`e.biz_location = ANY(${p(filter.bizLocations)}::text[])`);
    if (filter.eventIds) where.push(`(e.event_id = ANY(${p(filter.eventIds)}::text[]) OR e.hash_id = ANY(${p(filter.eventIds)}::text[]))`);
    if (filter.anyEpc) where.push(hasIdentifier(`i.identifier = ANY(${p(filter.anyEpc)}::text[])`));
    for (const match of filter.matches) {
      const alternatives: string[] = [];
      if (match.exact.length > 0) alternatives.push(`i.identifier = ANY(${p(match.exact)}::text[])`);
      if (match.prefixes.length > 0) alternatives.push(`i.identifier LIKE ANY(${p(match.prefixes.map((prefix) => `${escapeLike(prefix)}%`))}::text[])`);
      const role = match.roles === null ? '' : ` AND i.role = ANY(${p(match.roles)}::text[])`;
      where.push(hasIdentifier(`(${alternatives.join(' OR ')})${role}`));
    }
    for (const field of filter.exists) {
      const condition = existsCondition(field);
      where.push('column' in condition ? `e.${condition.column} IS NOT NULL` : `e.document ? ${p(condition.key)}`);
    }
    if (options.identifier !== null) where.push(hasIdentifier(`i.identifier = ${p(options.identifier)}`));
    const column = options.orderBy === 'recordTime' ? 'e.record_time' : 'e.event_time';
    const descending = options.orderDirection === 'DESC';
    if (options.after) {
      where.push(`(${column}, e.event_id) ${descending ? '<' : '>'} (${p(options.after.eventTime)}::timestamptz, ${p(options.after.eventId)}::text)`);
    }
    const direction = descending ? 'DESC' : 'ASC';
    const rows: RawEvent[] = await this.dataSource.query(
      `SELECT ${EVENT_COLUMNS} FROM epcis_events e ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY ${column} ${direction}, e.event_id ${direction} LIMIT ${p(options.limit)}`,
      params,
    );
    return rows.map(toStoredEvent);
  }

  /**
   * One page of the distinct values of a discovery resource (event types, business steps, …, identifiers) among
   * the events the caller may read, in code point order, plus one extra to tell whether another page follows.
   */
  async distinctValues(resource: DiscoveryResource, visible: VisiblePrefixes, after: string | null, limit: number): Promise<string[]> {
    const params: unknown[] = [];
    const p = (value: unknown): string => {
      params.push(value);
      return `$${params.length}`;
    };
    const scope = visible === 'all' ? 'TRUE' : `e.enterprise_prefix = ANY(${p(visible)}::text[])`;
    const sql =
      resource === 'epcs'
        ? `SELECT DISTINCT i.identifier AS value FROM epcis_event_identifiers i JOIN epcis_events e ON e.event_id = i.event_id
            WHERE ${scope} AND i.role = ANY(${p(INSTANCE_ROLES)}::text[])`
        : `SELECT DISTINCT e.${DISCOVERY_COLUMNS[resource]} AS value FROM epcis_events e WHERE ${scope} AND e.${DISCOVERY_COLUMNS[resource]} IS NOT NULL`;
    const rows: Array<{ value: string }> = await this.dataSource.query(
      `SELECT value FROM (${sql}) v ${after === null ? '' : `WHERE value COLLATE "C" > ${p(after)}`} ORDER BY value COLLATE "C" LIMIT ${p(limit)}`,
      params,
    );
    return rows.map((row) => row.value);
  }

  /**
   * The event with this eventID (one node-wide), or else one whose CBV 2.0 hash ID it is: the same
   * content may be published by several enterprises under their own eventIDs, so one the caller
   * may read comes first.
   */
  async byId(eventId: string, visible: VisiblePrefixes = 'all'): Promise<StoredEvent | null> {
    const rows: RawEvent[] = await this.dataSource.query(
      `SELECT ${EVENT_COLUMNS} FROM epcis_events e WHERE e.event_id = $1 OR e.hash_id = $1
        ORDER BY (e.event_id = $1) DESC, ($2::text[] IS NULL OR e.enterprise_prefix = ANY($2::text[])) DESC, e.event_id LIMIT 1`,
      [eventId, visible === 'all' ? null : visible],
    );
    return rows.length === 0 ? null : toStoredEvent(rows[0]);
  }

  /** Whether any event mentions the identifier, and whether the caller may see at least one of them. */
  async identifierStanding(identifier: string, visible: VisiblePrefixes): Promise<{ any: boolean; anyVisible: boolean }> {
    const rows: Array<{ any: boolean; any_visible: boolean }> = await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM epcis_event_identifiers i WHERE i.identifier = $1) AS any,
              EXISTS (SELECT 1 FROM epcis_event_identifiers i JOIN epcis_events e ON e.event_id = i.event_id
                       WHERE i.identifier = $1 AND ($2::text[] IS NULL OR e.enterprise_prefix = ANY($2::text[]))) AS any_visible`,
      [identifier, visible === 'all' ? null : visible],
    );
    return { any: rows[0].any, anyVisible: rows[0].any_visible };
  }
}

export function toStoredEvent(row: RawEvent): StoredEvent {
  return {
    eventId: row.event_id,
    enterprisePrefix: row.enterprise_prefix,
    eventTimeKey: row.event_time_key,
    recordTimeKey: row.record_time_key,
    recordTime: row.record_time,
    errorDeclaredAt: row.error_declared_at,
    errorReason: row.error_reason,
    correctiveEventIds: row.corrective_event_ids,
    document: row.document,
  };
}

/** A LIKE pattern matching the text literally (its %, _ and \\ escaped). */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
