/** One row of the product's timeline (el-timeline), from one EPCIS 2.0 event. */
export interface TimelineItem {
  key: string;
  /** ISO 8601 eventTime */
  time: string;
  type: string;
  action: string | null;
  bizStep: string | null;
  disposition: string | null;
  readPoint: string | null;
  bizLocation: string | null;
  /** identifiers the event names, besides the traced product (inputs, outputs, children, parent) */
  related: string[];
  /** declared erroneous by its enterprise */
  erroneous: boolean;
}

/** How many other identifiers one timeline row lists at most. */
export const MAX_RELATED = 8;

const CBV_PREFIXES = [/^https?:\/\/ns\.gs1\.org\/cbv\/(BizStep|Disp)-/i, /^urn:epcglobal:cbv:(bizstep|disp):/i];

/** "shipping" for the CBV URIs and URNs (https://ns.gs1.org/cbv/BizStep-shipping, urn:epcglobal:cbv:bizstep:shipping); other values as they are. */
export function cbvShortName(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return null;
  for (const pattern of CBV_PREFIXES) if (pattern.test(value)) return value.replace(pattern, '');
  return value;
}

/** The events of GET /api/v1/trace as timeline rows, in the order given (the API sorts by eventTime). */
export function timelineItems(events: Record<string, unknown>[], identifier: string): TimelineItem[] {
  return events.map((event, i) => ({
    key: typeof event.eventID === 'string' ? event.eventID : `event-${i}`,
    time: String(event.eventTime ?? ''),
    type: String(event.type ?? 'Event'),
    action: typeof event.action === 'string' ? event.action : null,
    bizStep: cbvShortName(event.bizStep),
    disposition: cbvShortName(event.disposition),
    readPoint: idOf(event.readPoint),
    bizLocation: idOf(event.bizLocation),
    related: relatedOf(event, identifier),
    erroneous: event.errorDeclaration !== undefined && event.errorDeclaration !== null,
  }));
}

function idOf(place: unknown): string | null {
  if (place && typeof place === 'object' && typeof (place as { id?: unknown }).id === 'string') return (place as { id: string }).id;
  return null;
}

const LISTS = ['epcList', 'inputEPCList', 'outputEPCList', 'childEPCs'];

function relatedOf(event: Record<string, unknown>, identifier: string): string[] {
  const found = new Set<string>();
  const add = (value: unknown) => {
    if (typeof value === 'string' && value !== identifier) found.add(value);
  };
  add(event.parentID);
  for (const list of LISTS) {
    const value = event[list];
    if (Array.isArray(value)) value.forEach(add);
  }
  return [...found].slice(0, MAX_RELATED);
}
