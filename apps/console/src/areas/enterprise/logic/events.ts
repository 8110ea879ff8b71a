/** The filters of the events page, as the EPCIS query interface (GET /epcis/events) names them. */
export interface EventFilters {
  eventType: string[];
  /** datetime-local values ("2026-12-05T10:00") in the reader's time zone, or ''. */
  from: string;
  to: string;
  bizStep: string;
  epc: string;
}

export const EVENT_TYPES = ['ObjectEvent', 'AggregationEvent', 'TransactionEvent', 'TransformationEvent', 'AssociationEvent'];

/** The query string of one page; `token` continues a listing (from the Link rel="next" of the page before). */
export function eventQuery(filters: EventFilters, perPage: number, token?: string): string {
  const query = new URLSearchParams({ perPage: String(perPage) });
  if (filters.eventType.length > 0) query.set('eventType', filters.eventType.join('|'));
  if (filters.from) query.set('GE_eventTime', new Date(filters.from).toISOString());
  if (filters.to) query.set('LT_eventTime', new Date(filters.to).toISOString());
  if (filters.bizStep.trim()) query.set('EQ_bizStep', filters.bizStep.trim());
  if (filters.epc.trim()) query.set('MATCH_anyEPC', filters.epc.trim());
  if (token) query.set('nextPageToken', token);
  return query.toString();
}

/** The nextPageToken of a `Link: <…?nextPageToken=…>; rel="next"` header, or null on the last page. */
export function nextPageToken(link: string | null): string | null {
  if (!link) return null;
  const match = /<([^>]*)>\s*;\s*rel="?next"?/.exec(link);
  if (!match) return null;
  return new URLSearchParams(match[1].split('?')[1] ?? '').get('nextPageToken');
}

/** One line of the events table. */
export interface EventRow {
  id: string;
  type: string;
  eventTime: string;
  bizStep: string;
  action: string;
  epcs: string[];
}

/** The events of an EPCISQueryDocument as table rows: the identifiers of every role, the CBV step's short name. */
export function eventRows(document: { epcisBody?: { queryResults?: { resultsBody?: { eventList?: Array<Record<string, unknown>> } } } }): EventRow[] {
  const events = document.epcisBody?.queryResults?.resultsBody?.eventList ?? [];
  return events.map((event) => ({
    id: String(event.eventID ?? ''),
    type: String(event.type ?? ''),
    eventTime: String(event.eventTime ?? ''),
    bizStep: shortCbv(event.bizStep),
    action: typeof event.action === 'string' ? event.action : '',
    epcs: identifiersOf(event),
  }));
}

function shortCbv(value: unknown): string {
  if (typeof value !== 'string') return '';
  const match = /^urn:epcglobal:cbv:bizstep:(.+)$|^https:\/\/ref\.gs1\.org\/cbv\/BizStep-(.+)$/.exec(value);
  return match ? (match[1] ?? match[2]) : value;
}

const EPC_FIELDS = ['epcList', 'childEPCs', 'inputEPCList', 'outputEPCList'];
const SINGLE_FIELDS = ['parentID'];

function identifiersOf(event: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const field of SINGLE_FIELDS) if (typeof event[field] === 'string') out.push(event[field] as string);
  for (const field of EPC_FIELDS) {
    const list = event[field];
    if (Array.isArray(list)) for (const epc of list) if (typeof epc === 'string') out.push(epc);
  }
  return out;
}
