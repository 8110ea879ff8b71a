import { type EventFilter, existsCondition } from '../query/event-query';
import type { VisiblePrefixes } from '../grants/traceability-access.service';
import type { StoredEvent } from '../query/event-query.repository';

/** A place in the record-time order of all events: everything at or before it has been seen. */
export interface FeedPosition {
  /** record_time in UTC with microseconds, `YYYY-MM-DDTHH:MM:SS.ffffffZ` (fixed width: compares as text). */
  time: string;
  /** '' stands before every eventID of that instant. */
  eventId: string;
}

/**
 * One stored event as subscriptions read it: the columns queries filter on, its identifiers, and its
 * document only as the delivered text. Events wait in the feed for seconds: as one string each,
 * not an object tree, the garbage collector copies them in one piece, and a delivery joins texts.
 */
export interface FeedEvent extends Omit<StoredEvent, 'document' | 'eventTimeKey'> {
  /**
   * The event as deliveries carry it, UTF-8: renderEventJson (the document with eventID, recordTime,
   * errorDeclaration). Bytes, not a string: an event waits here for its deliveries long enough to
   * survive young-generation collections, and a Buffer's bytes are not on the heap they copy.
   */
  json: Buffer;
  /** The document's top-level keys (EXISTS_ on a key that is not a column). */
  documentKeys: readonly string[];
  hashId: string;
  eventType: string;
  action: string | null;
  bizStep: string | null;
  disposition: string | null;
  readPoint: string | null;
  bizLocation: string | null;
  /** event_time and record_time as microseconds since the epoch */
  eventTimeMicros: number;
  recordTimeMicros: number;
  /** `role identifier` of every identifier the event mentions (epcis_event_identifiers) */
  identifiers: string[];
}

/**
 * Event IDs are ordered as PostgreSQL's "C" collation orders them (UTF-8 bytes, i.e. code points;
 * a lone surrogate is written as U+FFFD). JavaScript's `<` compares UTF-16 units, which agrees
 * when neither unit at the first difference is a surrogate: the units before it are the same (and
 * so are their bytes, a high surrogate there being lone in both). Only the others are encoded.
 * Called for every comparison of a sort and of matching: no regular expression, no allocation.
 */
export function compareEventIds(a: string, b: string): number {
  if (a === b) return 0;
  const shorter = a.length < b.length ? a.length : b.length;
  let i = 0;
  while (i < shorter && a.charCodeAt(i) === b.charCodeAt(i)) i += 1;
  const x = i < a.length ? a.charCodeAt(i) : -1;
  const y = i < b.length ? b.charCodeAt(i) : -1;
  if (x < 0xd800 && y < 0xd800) return x < y ? -1 : 1;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** comparePositions(positionOf(event), position), without making the position. */
export function compareEventToPosition(event: FeedEvent, position: FeedPosition): number {
  if (event.recordTimeKey !== position.time) return event.recordTimeKey < position.time ? -1 : 1;
  return compareEventIds(event.eventId, position.eventId);
}

export function comparePositions(a: FeedPosition, b: FeedPosition): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  return compareEventIds(a.eventId, b.eventId);
}

export function positionOf(event: FeedEvent): FeedPosition {
  return { time: event.recordTimeKey, eventId: event.eventId };
}

/** Microseconds since the epoch of a time key or of an ISO 8601 instant (sub-microsecond digits are dropped). */
export function instantMicros(text: string): number {
  const millis = Date.parse(text);
  const fraction = /T\d{2}:\d{2}:\d{2}\.(\d+)/.exec(text);
  const extra = fraction && fraction[1].length > 3 ? Number(fraction[1].slice(3, 6).padEnd(3, '0')) : 0;
  return millis * 1000 + extra;
}

/**
 * Whether an event answers a SimpleEventQuery filter and lies in the caller's scope: the same
 * conditions EventQueryRepository.page puts in SQL (the integration suite checks that both agree),
 * evaluated on events already read, so that one read of the new events serves every subscription.
 */
export function eventMatches(filter: EventFilter, visible: VisiblePrefixes, event: FeedEvent): boolean {
  if (visible !== 'all' && !visible.includes(event.enterprisePrefix)) return false;
  if (filter.eventTypes && !(filter.eventTypes as string[]).includes(event.eventType)) return false;
  if (filter.geEventTime && event.eventTimeMicros < instantMicros(filter.geEventTime)) return false;
  if (filter.ltEventTime && event.eventTimeMicros >= instantMicros(filter.ltEventTime)) return false;
  if (filter.geRecordTime && event.recordTimeMicros < instantMicros(filter.geRecordTime)) return false;
  if (filter.ltRecordTime && event.recordTimeMicros >= instantMicros(filter.ltRecordTime)) return false;
  if (filter.bizSteps && !includes(filter.bizSteps, event.bizStep)) return false;
  if (filter.dispositions && !includes(filter.dispositions, event.disposition)) return false;
  if (filter.readPoints && !includes(filter.readPoints, event.readPoint)) return false;
  if (filter.bizLocations && !includes(filter.bizLocations, event.bizLocation)) return false;
  if (filter.eventIds && !filter.eventIds.includes(event.eventId) && !filter.eventIds.includes(event.hashId)) return false;
  if (filter.anyEpc && !event.identifiers.some((edge) => (filter.anyEpc as string[]).includes(identifierOf(edge)))) return false;
  for (const match of filter.matches) {
    const found = event.identifiers.some((edge) => {
      const role = edge.slice(0, edge.indexOf(' '));
      if (match.roles !== null && !match.roles.includes(role)) return false;
      const identifier = identifierOf(edge);
      return match.exact.includes(identifier) || match.prefixes.some((prefix) => identifier.startsWith(prefix));
    });
    if (!found) return false;
  }
  for (const field of filter.exists) {
    if (!exists(event, field)) return false;
  }
  return true;
}

/** A named query's filter as a function of one event (scope not included: it is applied at delivery). */
export type EventPredicate = (event: FeedEvent) => boolean;

/**
 * Compiles a SimpleEventQuery filter once into a predicate: sets instead of list scans, instants
 * read once (to the microsecond, as PostgreSQL reads them), one closure per condition. It matches
 * exactly what EventQueryRepository.page matches in SQL (the unit and property specs compare them);
 * subscriptions evaluate it on every new event that their index (subscription-index.ts) hands them.
 */
export function compileFilter(filter: EventFilter): EventPredicate {
  const tests: EventPredicate[] = [];
  const inSet = (values: string[] | null, read: (event: FeedEvent) => string | null) => {
    if (!values) return;
    const set = new Set(values);
    tests.push((event) => {
      const value = read(event);
      return value !== null && value !== undefined && set.has(value);
    });
  };
  inSet(filter.eventTypes, (event) => event.eventType);
  if (filter.geEventTime) {
    const bound = pgInstantMicros(filter.geEventTime);
    tests.push((event) => event.eventTimeMicros >= bound);
  }
  if (filter.ltEventTime) {
    const bound = pgInstantMicros(filter.ltEventTime);
    tests.push((event) => event.eventTimeMicros < bound);
  }
  if (filter.geRecordTime) {
    const bound = pgInstantMicros(filter.geRecordTime);
    tests.push((event) => event.recordTimeMicros >= bound);
  }
  if (filter.ltRecordTime) {
    const bound = pgInstantMicros(filter.ltRecordTime);
    tests.push((event) => event.recordTimeMicros < bound);
  }
  inSet(filter.bizSteps, (event) => event.bizStep);
  inSet(filter.dispositions, (event) => event.disposition);
  inSet(filter.readPoints, (event) => event.readPoint);
  inSet(filter.bizLocations, (event) => event.bizLocation);
  if (filter.eventIds) {
    const ids = new Set(filter.eventIds);
    tests.push((event) => ids.has(event.eventId) || ids.has(event.hashId));
  }
  if (filter.anyEpc) {
    const wanted = new Set(filter.anyEpc);
    tests.push((event) => event.identifiers.some((edge) => wanted.has(identifierOf(edge))));
  }
  for (const match of filter.matches) {
    const exact = new Set(match.exact);
    const prefixes = match.prefixes;
    const roles = match.roles === null ? null : new Set(match.roles);
    tests.push((event) =>
      event.identifiers.some((edge) => {
        const space = edge.indexOf(' ');
        if (roles !== null && !roles.has(edge.slice(0, space))) return false;
        const identifier = edge.slice(space + 1);
        if (exact.has(identifier)) return true;
        for (const prefix of prefixes) if (identifier.startsWith(prefix)) return true;
        return false;
      }),
    );
  }
  for (const field of filter.exists) {
    const condition = existsCondition(field);
    if ('column' in condition) {
      const read = EXISTS_FIELDS[condition.column];
      if (!read) throw new Error(`EXISTS_ column ${condition.column} is not read by subscriptions`);
      tests.push((event) => read(event) !== null && read(event) !== undefined);
    } else {
      const key = condition.key;
      tests.push((event) => event.documentKeys.includes(key));
    }
  }
  if (tests.length === 0) return () => true;
  if (tests.length === 1) return tests[0];
  return (event) => {
    for (let k = 0; k < tests.length; k += 1) if (!tests[k](event)) return false;
    return true;
  };
}

/**
 * Microseconds since the epoch of a query instant exactly as PostgreSQL reads it into a
 * timestamptz: the fraction of a second is parsed as a double and rounded to the microsecond with
 * rint() (half to even), so 7 to 9 fractional digits round as they do in SQL (instantMicros drops them).
 */
export function pgInstantMicros(text: string): number {
  const fraction = /T\d{2}:\d{2}(?::\d{2})?(\.\d+)/.exec(text);
  const whole = fraction ? text.replace(fraction[1], '') : text;
  const seconds = Date.parse(whole);
  if (Number.isNaN(seconds)) throw new Error(`not an instant: ${text}`);
  return seconds * 1000 + (fraction ? rint(Number(`0${fraction[1]}`) * 1_000_000) : 0);
}

/** C's rint() under the default rounding mode: to the nearest integer, ties to even. */
function rint(x: number): number {
  const floor = Math.floor(x);
  const rest = x - floor;
  if (rest > 0.5) return floor + 1;
  if (rest < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

function includes(values: string[], value: string | null): boolean {
  return value !== null && values.includes(value);
}

function identifierOf(edge: string): string {
  return edge.slice(edge.indexOf(' ') + 1);
}

/** The stored columns EXISTS_ tests (existsCondition in query/event-query.ts), as fields of the read event. */
const EXISTS_FIELDS: Record<string, (event: FeedEvent) => unknown> = {
  error_declared_at: (event) => event.errorDeclaredAt,
  biz_step: (event) => event.bizStep,
  disposition: (event) => event.disposition,
  read_point: (event) => event.readPoint,
  biz_location: (event) => event.bizLocation,
  action: (event) => event.action,
};

/** EXISTS_<field> exactly as the SQL tests it: a column that is not null, or a top-level key of the stored event. */
function exists(event: FeedEvent, field: string): boolean {
  const condition = existsCondition(field);
  if ('column' in condition) {
    const read = EXISTS_FIELDS[condition.column];
    if (!read) throw new Error(`EXISTS_ column ${condition.column} is not read by subscriptions`);
    return read(event) !== null;
  }
  return event.documentKeys.includes(condition.key);
}
