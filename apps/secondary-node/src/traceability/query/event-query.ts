import { CBV_BIZ_STEPS, canonicalIdentifier } from '@idis/epcis';
import { DomainError } from '../../errors/domain-errors';
import { queryList, querySingle, type QueryValue } from '../../http/query-params';

export const EVENT_TYPES = ['ObjectEvent', 'AggregationEvent', 'TransactionEvent', 'TransformationEvent', 'AssociationEvent'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const DEFAULT_PER_PAGE = 30;
export const MAX_PER_PAGE = 1000;
/** A list parameter (eventType, EQ_bizStep, MATCH_anyEPC) takes at most this many values. */
export const MAX_LIST_VALUES = 100;
const MAX_VALUE_LENGTH = 1024;

/** The filters of an EPCIS SimpleEventQuery that this node supports (EPCIS 2.0 REST `GET /events`). */
export interface EventFilter {
  eventTypes: EventType[] | null;
  /** ISO 8601 instants as given (PostgreSQL parses them, keeping sub-millisecond precision) */
  geEventTime: string | null;
  ltEventTime: string | null;
  /** every stored spelling of the requested bizSteps (bare CBV word, URN, web URI) */
  bizSteps: string[] | null;
  /** canonical identifiers (any role) */
  anyEpc: string[] | null;
}

export interface EventQuery {
  filter: EventFilter;
  perPage: number;
  nextPageToken: string | null;
}

export const EVENTS_PARAMETERS = ['eventType', 'GE_eventTime', 'LT_eventTime', 'EQ_bizStep', 'MATCH_anyEPC', 'perPage', 'nextPageToken'] as const;
/** `/epcs/{epc}/events` fixes the identifier itself. */
export const EPC_EVENTS_PARAMETERS = EVENTS_PARAMETERS.filter((name) => name !== 'MATCH_anyEPC');

/** Reads and checks the query string; anything this node would silently ignore is refused instead. */
export function parseEventQuery(query: Record<string, QueryValue> | undefined, allowed: readonly string[] = EVENTS_PARAMETERS): EventQuery {
  const params = query ?? {};
  const unknown = Object.keys(params).filter((name) => !allowed.includes(name));
  if (unknown.length > 0) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `unsupported query parameter ${unknown.map((n) => JSON.stringify(n)).join(', ')}; this node supports ${allowed.join(', ')}`,
      unknown.map((name) => ({ path: name, message: 'unsupported parameter' })),
    );
  }
  const geEventTime = instant('GE_eventTime', params.GE_eventTime);
  const ltEventTime = instant('LT_eventTime', params.LT_eventTime);
  return {
    filter: {
      eventTypes: listOrNull('eventType', params.eventType, /[,|]/, (value) => {
        if (!(EVENT_TYPES as readonly string[]).includes(value)) throw invalid('eventType', `must be one of ${EVENT_TYPES.join(', ')}, got ${JSON.stringify(value)}`);
        return [value as EventType];
      }),
      geEventTime,
      ltEventTime,
      bizSteps: listOrNull('EQ_bizStep', params.EQ_bizStep, /[,|]/, (value) => bizStepSpellings(value)),
      // Identifiers may contain commas (Digital Link query strings, handle suffixes): only the EPCIS pipe separates them.
      anyEpc: listOrNull('MATCH_anyEPC', params.MATCH_anyEPC, /\|/, (value) => {
        const canonical = canonicalIdentifier(value);
        if (!canonical) throw invalid('MATCH_anyEPC', `${JSON.stringify(value)} is not an identifier (hdl: handle, GS1 Digital Link URI or EPC URN)`);
        return [canonical.canonical];
      }),
    },
    perPage: perPage(params.perPage),
    nextPageToken: token(params.nextPageToken),
  };
}

function listOrNull<T>(name: string, value: QueryValue, separator: RegExp, expand: (value: string) => T[]): T[] | null {
  const raw = queryList(value);
  if (raw.length === 0) return null;
  const values = raw.flatMap((item) => item.split(separator)).map((item) => item.trim());
  if (values.length > MAX_LIST_VALUES) throw invalid(name, `takes at most ${MAX_LIST_VALUES} values`);
  const result = new Set<T>();
  for (const item of values) {
    if (item === '') throw invalid(name, 'has an empty value');
    if (item.length > MAX_VALUE_LENGTH) throw invalid(name, `values must be at most ${MAX_VALUE_LENGTH} characters`);
    for (const expanded of expand(item)) result.add(expanded);
  }
  return [...result];
}

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO 8601 date-time with a zone (Z or ±hh:mm). A "+" sent unencoded arrives as a space; it is read as "+". */
function instant(name: string, value: QueryValue): string | null {
  const raw = querySingle(name, value);
  if (raw === undefined) return null;
  const text = raw.replace(/ (\d{2}:\d{2})$/, '+$1');
  const match = ISO_INSTANT.exec(text);
  const problem = `must be an ISO 8601 date-time with a time zone, e.g. 2025-01-15T08:00:00.000+08:00, got ${JSON.stringify(raw)}`;
  if (!match) throw invalid(name, problem);
  const [, year, month, day, hour, minute, second = '00'] = match;
  const calendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  const dayExists = calendar.getUTCFullYear() === Number(year) && calendar.getUTCMonth() === Number(month) - 1 && calendar.getUTCDate() === Number(day);
  const offset = match[8];
  const offsetOk = offset === 'Z' || (Number(offset.slice(1, 3)) <= 14 && Number(offset.slice(4, 6)) < 60);
  if (!dayExists || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59 || !offsetOk || Number(year) < 1) throw invalid(name, problem);
  return text;
}

function perPage(value: QueryValue): number {
  const raw = querySingle('perPage', value);
  if (raw === undefined || raw === '') return DEFAULT_PER_PAGE;
  if (!/^\d{1,7}$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PER_PAGE) throw invalid('perPage', `must be an integer from 1 to ${MAX_PER_PAGE}, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function token(value: QueryValue): string | null {
  const raw = querySingle('nextPageToken', value);
  if (raw === undefined) return null;
  if (raw === '' || raw.length > 2048) throw invalid('nextPageToken', 'is not a token this node issued');
  return raw;
}

const CBV_STEPS: ReadonlySet<string> = new Set(CBV_BIZ_STEPS);

const CBV_STEP_FORMS: Array<[RegExp, (word: string) => string]> = [
  [/^urn:epcglobal:cbv:bizstep:([a-z_]+)$/, (w) => `urn:epcglobal:cbv:bizstep:${w}`],
  [/^https:\/\/ref\.gs1\.org\/cbv\/BizStep-([a-z_]+)$/, (w) => `https://ref.gs1.org/cbv/BizStep-${w}`],
  [/^https:\/\/ns\.gs1\.org\/cbv\/BizStep-([a-z_]+)$/, (w) => `https://ns.gs1.org/cbv/BizStep-${w}`],
  [/^https:\/\/gs1\.org\/voc\/BizStep-([a-z_]+)$/, (w) => `https://gs1.org/voc/BizStep-${w}`],
];

/**
 * Events store bizStep as the publisher wrote it. A standard step may be written as the bare CBV word
 * ("shipping") or as one of its URIs; asking for any of them matches all of them. Other URIs match as given.
 */
export function bizStepSpellings(value: string): string[] {
  let word: string | null = CBV_STEPS.has(value) ? value : null;
  for (const [pattern] of CBV_STEP_FORMS) {
    const match = pattern.exec(value);
    if (match) word = match[1];
  }
  if (word !== null) {
    if (!CBV_STEPS.has(word)) throw invalid('EQ_bizStep', `${JSON.stringify(value)} is not a CBV 2.0 business step`);
    return [word, ...CBV_STEP_FORMS.map(([, form]) => form(word as string))];
  }
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(value)) {
    throw invalid('EQ_bizStep', `${JSON.stringify(value)} is neither a CBV 2.0 business step (e.g. shipping) nor a URI`);
  }
  return [value];
}

function invalid(name: string, message: string): DomainError {
  return new DomainError('VALIDATION_FAILED', `query parameter ${name} ${message}`, [{ path: name, message }]);
}
