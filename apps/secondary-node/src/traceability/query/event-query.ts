import { CBV_BIZ_STEPS, CBV_DISPOSITIONS, canonicalIdentifier, gs1DigitalLinkForm, isExtensionEventType } from '@idis/epcis';
import { DomainError } from '../../errors/domain-errors';
import { queryList, querySingle, type QueryValue } from '../../http/query-params';

export const EVENT_TYPES = ['ObjectEvent', 'AggregationEvent', 'TransactionEvent', 'TransformationEvent', 'AssociationEvent'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const DEFAULT_PER_PAGE = 30;
export const MAX_PER_PAGE = 1000;
/** A list parameter (eventType, EQ_bizStep, MATCH_anyEPC) takes at most this many values. */
export const MAX_LIST_VALUES = 100;
const MAX_VALUE_LENGTH = 1024;

/**
 * An identifier condition of a MATCH_ parameter: stored identifiers equal to one of `exact`, or starting with one of
 * `prefixes` (EPC patterns such as urn:epc:idpat:sgtin:0614141.107346.*), in one of `roles` (null: any role).
 */
export interface IdentifierMatch {
  parameter: string;
  roles: string[] | null;
  exact: string[];
  prefixes: string[];
}

export type OrderBy = 'eventTime' | 'recordTime';
export type OrderDirection = 'ASC' | 'DESC';

/** The filters of an EPCIS SimpleEventQuery that this node supports (EPCIS 2.0 REST `GET /events`). */
export interface EventFilter {
  /** the five types of the standard, or extension event types (a URI or a CURIE, as captured) */
  eventTypes: string[] | null;
  /** ISO 8601 instants as given (PostgreSQL parses them, keeping sub-millisecond precision) */
  geEventTime: string | null;
  ltEventTime: string | null;
  geRecordTime: string | null;
  ltRecordTime: string | null;
  /** every stored spelling of the requested bizSteps (bare CBV word, URN, web URI) */
  bizSteps: string[] | null;
  /** every stored spelling of the requested dispositions */
  dispositions: string[] | null;
  /** canonical identifiers of readPoint.id / bizLocation.id */
  readPoints: string[] | null;
  bizLocations: string[] | null;
  /** canonical identifiers (any role) */
  anyEpc: string[] | null;
  /** MATCH_epc, MATCH_parentID, MATCH_inputEPC, MATCH_outputEPC (each must hold) */
  matches: IdentifierMatch[];
  /** eventIDs or CBV 2.0 hash IDs */
  eventIds: string[] | null;
  /** EXISTS_<field>: each named field must be present */
  exists: string[];
}

export interface EventQuery {
  filter: EventFilter;
  orderBy: OrderBy;
  orderDirection: OrderDirection;
  /** at most this many events in all pages together (EPCIS eventCountLimit) */
  eventCountLimit: number | null;
  perPage: number;
  nextPageToken: string | null;
}

/** The named parameters of the EPCIS 2.0 SimpleEventQuery this node answers; EXISTS_<field> is matched by prefix. */
export const EVENTS_PARAMETERS = [
  'eventType', 'GE_eventTime', 'LT_eventTime', 'GE_recordTime', 'LT_recordTime', 'EQ_bizStep', 'EQ_disposition', 'EQ_readPoint',
  'EQ_bizLocation', 'MATCH_anyEPC', 'MATCH_epc', 'MATCH_parentID', 'MATCH_inputEPC', 'MATCH_outputEPC', 'EQ_eventID', 'orderBy',
  'orderDirection', 'eventCountLimit', 'perPage', 'nextPageToken',
] as const;

/** MATCH_ parameters and the identifier roles they look at (EPCIS 2.0 §8.2.7.1). */
const MATCH_ROLES: Record<string, string[]> = {
  MATCH_epc: ['epc', 'child'],
  MATCH_parentID: ['parent'],
  MATCH_inputEPC: ['input'],
  MATCH_outputEPC: ['output'],
};

/**
 * EXISTS_<field>: the fields this node can test, as a stored column or a key of the stored event. A user extension
 * (a CURIE or IRI name) is tested as the key the publisher wrote.
 */
const EXISTS_COLUMNS: Record<string, string> = {
  errorDeclaration: 'error_declared_at',
  bizStep: 'biz_step',
  disposition: 'disposition',
  readPoint: 'read_point',
  bizLocation: 'biz_location',
  action: 'action',
};
const EXISTS_DOCUMENT_FIELDS = new Set([
  'epcList', 'parentID', 'childEPCs', 'inputEPCList', 'outputEPCList', 'quantityList', 'childQuantityList', 'inputQuantityList',
  'outputQuantityList', 'transformationID', 'persistentDisposition', 'bizTransactionList', 'sourceList', 'destinationList',
  'sensorElementList', 'ilmd', 'certificationInfo',
]);

/** How the repository tests an EXISTS_ field: a column, or a top-level key of the stored event. */
export function existsCondition(field: string): { column: string } | { key: string } {
  const column = EXISTS_COLUMNS[field];
  return column ? { column } : { key: field };
}
/** `/epcs/{epc}/events` fixes the identifier itself. */
export const EPC_EVENTS_PARAMETERS = EVENTS_PARAMETERS.filter((name) => name !== 'MATCH_anyEPC');

/** Reads and checks the query string; anything this node would silently ignore is refused instead. */
export function parseEventQuery(query: Record<string, QueryValue> | undefined, allowed: readonly string[] = EVENTS_PARAMETERS): EventQuery {
  const params = query ?? {};
  const unknown = Object.keys(params).filter((name) => !allowed.includes(name) && !name.startsWith('EXISTS_'));
  if (unknown.length > 0) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `unsupported query parameter ${unknown.map((n) => JSON.stringify(n)).join(', ')}; this node supports ${allowed.join(', ')} and EXISTS_<field>`,
      unknown.map((name) => ({ path: name, message: 'unsupported parameter' })),
    );
  }
  const identifiers = (name: string) =>
    // Identifiers may contain commas (Digital Link query strings, handle suffixes): only the EPCIS pipe separates them.
    listOrNull(name, params[name], /\|/, (value) => {
      const canonical = canonicalIdentifier(value);
      if (!canonical) throw invalid(name, `${JSON.stringify(value)} is not an identifier (hdl: handle, GS1 Digital Link URI or EPC URN)`);
      return [canonical.canonical];
    });
  const matches: IdentifierMatch[] = [];
  for (const [name, roles] of Object.entries(MATCH_ROLES)) {
    const values = listOrNull(name, params[name], /\|/, (value) => [matchValue(name, value)]);
    if (values) matches.push({ parameter: name, roles, exact: values.flatMap((v) => v.exact), prefixes: values.flatMap((v) => v.prefixes) });
  }
  const orderBy = oneOf('orderBy', params.orderBy, ['eventTime', 'recordTime'] as const, 'this node orders by eventTime or recordTime');
  const orderDirection = oneOf('orderDirection', params.orderDirection, ['ASC', 'DESC'] as const, 'it is ASC or DESC');
  const eventCountLimit = positiveInteger('eventCountLimit', params.eventCountLimit);
  if (eventCountLimit !== null && orderBy === undefined) {
    throw invalid('eventCountLimit', 'needs orderBy (EPCIS: the events counted are the first ones in that order)');
  }
  return {
    filter: {
      eventTypes: listOrNull('eventType', params.eventType, /[,|]/, (value) => {
        if (!(EVENT_TYPES as readonly string[]).includes(value) && !isExtensionEventType(value)) {
          throw invalid('eventType', `must be one of ${EVENT_TYPES.join(', ')} or an extension event type (a URI or a CURIE), got ${JSON.stringify(value)}`);
        }
        return [value];
      }),
      geEventTime: instant('GE_eventTime', params.GE_eventTime),
      ltEventTime: instant('LT_eventTime', params.LT_eventTime),
      geRecordTime: instant('GE_recordTime', params.GE_recordTime),
      ltRecordTime: instant('LT_recordTime', params.LT_recordTime),
      bizSteps: listOrNull('EQ_bizStep', params.EQ_bizStep, /[,|]/, (value) => bizStepSpellings(value)),
      dispositions: listOrNull('EQ_disposition', params.EQ_disposition, /[,|]/, (value) => dispositionSpellings(value)),
      readPoints: identifiers('EQ_readPoint'),
      bizLocations: identifiers('EQ_bizLocation'),
      anyEpc: identifiers('MATCH_anyEPC'),
      matches,
      eventIds: listOrNull('EQ_eventID', params.EQ_eventID, /\|/, (value) => {
        if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(value)) throw invalid('EQ_eventID', `${JSON.stringify(value)} is not an eventID (a URI such as urn:uuid:… or ni:///sha-256;…)`);
        return [value];
      }),
      exists: existsFields(params),
    },
    // Without orderBy the node keeps its stable eventTime order, oldest first; with it, EPCIS's default is DESC.
    orderBy: orderBy ?? 'eventTime',
    orderDirection: orderDirection ?? (orderBy === undefined ? 'ASC' : 'DESC'),
    eventCountLimit,
    perPage: perPage(params.perPage),
    nextPageToken: token(params.nextPageToken),
  };
}

/** The discovery resources (GET /epcis/eventTypes, /epcs, …) take the paging parameters only. */
export function parsePaging(query: Record<string, QueryValue> | undefined): { perPage: number; nextPageToken: string | null } {
  const params = query ?? {};
  const unknown = Object.keys(params).filter((name) => name !== 'perPage' && name !== 'nextPageToken');
  if (unknown.length > 0) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `unsupported query parameter ${unknown.map((n) => JSON.stringify(n)).join(', ')}; this resource takes perPage and nextPageToken`,
      unknown.map((name) => ({ path: name, message: 'unsupported parameter' })),
    );
  }
  return { perPage: perPage(params.perPage), nextPageToken: token(params.nextPageToken) };
}

/** A MATCH_ value: an identifier, or an EPC pattern (`urn:epc:idpat:…*`) matching the identifiers it covers. */
function matchValue(name: string, value: string): { exact: string[]; prefixes: string[] } {
  const pattern = /^urn:epc:idpat:([a-z0-9]+):(.*)$/.exec(value);
  if (pattern) {
    if (canonicalIdentifier(value) === null) throw invalid(name, `${JSON.stringify(value)} is not a valid EPC pattern`);
    const parts = pattern[2].split('.');
    const wildcard = parts.indexOf('*');
    if (wildcard < 0) return { exact: [`urn:epc:id:${pattern[1]}:${pattern[2]}`], prefixes: [] };
    const prefixes = [`urn:epc:id:${pattern[1]}:${parts.slice(0, wildcard).map((p) => `${p}.`).join('')}`];
    // The same objects written as Digital Links on id.gs1.org (a pattern naming one class has such a form).
    const link = gs1DigitalLinkForm(value);
    if (link !== null) prefixes.push(`${link}/`);
    return { exact: [], prefixes };
  }
  const canonical = canonicalIdentifier(value);
  if (!canonical) throw invalid(name, `${JSON.stringify(value)} is not an identifier or EPC pattern (hdl: handle, GS1 Digital Link URI, EPC URN or urn:epc:idpat:…)`);
  return { exact: [canonical.canonical], prefixes: [] };
}

function existsFields(params: Record<string, QueryValue>): string[] {
  const fields: string[] = [];
  for (const name of Object.keys(params).filter((n) => n.startsWith('EXISTS_')).sort()) {
    const field = name.slice('EXISTS_'.length);
    const known = field in EXISTS_COLUMNS || EXISTS_DOCUMENT_FIELDS.has(field);
    const extension = /^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(field);
    if (!known && !extension) {
      throw invalid(name, `names no EPCIS event field this node can test (e.g. EXISTS_errorDeclaration, EXISTS_bizLocation, EXISTS_ilmd, or an extension such as EXISTS_example:myField)`);
    }
    if (field.length > MAX_VALUE_LENGTH) throw invalid(name, `field names are at most ${MAX_VALUE_LENGTH} characters`);
    const value = querySingle(name, params[name]);
    if (value !== undefined && value !== '' && value.toLowerCase() !== 'true') throw invalid(name, `takes no value (or "true"), got ${JSON.stringify(value)}`);
    fields.push(field);
  }
  return fields;
}

function oneOf<T extends string>(name: string, value: QueryValue, allowed: readonly T[], why: string): T | undefined {
  const raw = querySingle(name, value);
  if (raw === undefined) return undefined;
  const found = allowed.find((a) => a === raw || (name === 'orderDirection' && a === raw.toUpperCase()));
  if (!found) throw invalid(name, `must be one of ${allowed.join(', ')} (${why}), got ${JSON.stringify(raw)}`);
  return found;
}

function positiveInteger(name: string, value: QueryValue): number | null {
  const raw = querySingle(name, value);
  if (raw === undefined) return null;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw invalid(name, `must be a positive integer, got ${JSON.stringify(raw)}`);
  return Number(raw);
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

const CBV_DISPOSITION_WORDS: ReadonlySet<string> = new Set(CBV_DISPOSITIONS);

const CBV_DISPOSITION_FORMS: Array<[RegExp, (word: string) => string]> = [
  [/^urn:epcglobal:cbv:disp:([a-z_]+)$/, (w) => `urn:epcglobal:cbv:disp:${w}`],
  [/^https:\/\/ref\.gs1\.org\/cbv\/Disp-([a-z_]+)$/, (w) => `https://ref.gs1.org/cbv/Disp-${w}`],
  [/^https:\/\/ns\.gs1\.org\/cbv\/Disp-([a-z_]+)$/, (w) => `https://ns.gs1.org/cbv/Disp-${w}`],
  [/^https:\/\/gs1\.org\/voc\/Disp-([a-z_]+)$/, (w) => `https://gs1.org/voc/Disp-${w}`],
];

/** As bizStepSpellings, for dispositions (in_transit, urn:epcglobal:cbv:disp:in_transit, https://ref.gs1.org/cbv/Disp-in_transit). */
export function dispositionSpellings(value: string): string[] {
  let word: string | null = CBV_DISPOSITION_WORDS.has(value) ? value : null;
  for (const [pattern] of CBV_DISPOSITION_FORMS) {
    const match = pattern.exec(value);
    if (match) word = match[1];
  }
  if (word !== null) {
    if (!CBV_DISPOSITION_WORDS.has(word)) throw invalid('EQ_disposition', `${JSON.stringify(value)} is not a CBV 2.0 disposition`);
    return [word, ...CBV_DISPOSITION_FORMS.map(([, form]) => form(word as string))];
  }
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(value)) {
    throw invalid('EQ_disposition', `${JSON.stringify(value)} is neither a CBV 2.0 disposition (e.g. in_transit) nor a URI`);
  }
  return [value];
}

function invalid(name: string, message: string): DomainError {
  return new DomainError('VALIDATION_FAILED', `query parameter ${name} ${message}`, [{ path: name, message }]);
}
