import type { StoredEvent } from './event-query.repository';

export const EPCIS_CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';

export interface EpcisQueryDocument {
  '@context': unknown[];
  type: 'EPCISQueryDocument';
  schemaVersion: '2.0';
  creationDate: string;
  epcisBody: { queryResults: { queryName: 'SimpleEventQuery'; resultsBody: { eventList: Record<string, unknown>[] } } };
}

/**
 * The event as captured, with what the repository adds: its eventID (computed when the publisher gave
 * none), recordTime, and the errorDeclaration of a later declaration that it was wrong.
 */
export function renderEvent(event: RenderedFields): Record<string, unknown> {
  const rendered: Record<string, unknown> = { ...event.document, eventID: event.eventId, recordTime: event.recordTime.toISOString() };
  if (event.errorDeclaredAt !== null) rendered.errorDeclaration = declarationOf(event, event.errorDeclaredAt);
  return rendered;
}

/**
 * JSON.stringify(renderEvent(event)), the same text, without copying the document into a new object:
 * the document's own JSON with eventID (unless the document holds that very id), recordTime and any
 * errorDeclaration appended, where renderEvent's spread puts them. A document that holds one of those
 * keys with another value goes through renderEvent (the key keeps its place with the new value).
 */
export function renderEventJson(event: RenderedFields, recordTimeIso = event.recordTime.toISOString()): string {
  const document = event.document;
  const holdsId = hasOwn.call(document, 'eventID');
  if ((holdsId && document.eventID !== event.eventId) || hasOwn.call(document, 'recordTime') || hasOwn.call(document, 'errorDeclaration')) {
    return JSON.stringify(renderEvent(event));
  }
  const text = JSON.stringify(document);
  let added = holdsId ? '' : `,"eventID":${JSON.stringify(event.eventId)}`;
  added += `,"recordTime":"${recordTimeIso}"`;
  if (event.errorDeclaredAt !== null) added += `,"errorDeclaration":${JSON.stringify(declarationOf(event, event.errorDeclaredAt))}`;
  // "{}" takes the added keys without the comma before the first.
  return text.length === 2 ? `{${added.slice(1)}}` : `${text.slice(0, -1)}${added}}`;
}

/**
 * Whether renderEventJson of an event without an error declaration is its document's own JSON with
 * recordTime appended (textWithRecordTimeBytes): the document holds this very eventID, and neither
 * recordTime nor errorDeclaration. Callers that keep a document as text render it so.
 */
export function rendersAsTextWithRecordTime(document: Record<string, unknown>, eventId: string): boolean {
  return document.eventID === eventId && !hasOwn.call(document, 'recordTime') && !hasOwn.call(document, 'errorDeclaration');
}

/**
 * renderEventJson of such an event, from its document's JSON text (see rendersAsTextWithRecordTime),
 * as UTF-8 bytes: the text with `,"recordTime":"…"}` in place of its closing brace, written
 * straight into the buffer (no joined string first: the subscriptions' feed does this for every
 * committed event).
 */
export function textWithRecordTimeBytes(documentJson: string, recordTimeIso: string): Buffer {
  const suffix = `,"recordTime":"${recordTimeIso}"}`;
  const length = Buffer.byteLength(documentJson, 'utf8');
  // The text's closing brace is overwritten by the suffix, which starts with the comma.
  const bytes = Buffer.allocUnsafe(length - 1 + suffix.length);
  bytes.write(documentJson, 0, 'utf8');
  bytes.write(suffix, length - 1, 'latin1');
  return bytes;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** What rendering an event reads of it. */
type RenderedFields = Pick<StoredEvent, 'document' | 'eventId' | 'recordTime' | 'errorDeclaredAt' | 'errorReason' | 'correctiveEventIds'>;

function declarationOf(event: RenderedFields, declaredAt: Date): Record<string, unknown> {
  const declaration: Record<string, unknown> = { declarationTime: declaredAt.toISOString() };
  if (event.errorReason !== null) declaration.reason = event.errorReason;
  if (event.correctiveEventIds !== null && event.correctiveEventIds.length > 0) declaration.correctiveEventIDs = event.correctiveEventIds;
  return declaration;
}

export function queryDocument(events: StoredEvent[], now = new Date()): EpcisQueryDocument {
  return {
    '@context': [EPCIS_CONTEXT],
    type: 'EPCISQueryDocument',
    schemaVersion: '2.0',
    creationDate: now.toISOString(),
    epcisBody: { queryResults: { queryName: 'SimpleEventQuery', resultsBody: { eventList: events.map(renderEvent) } } },
  };
}
