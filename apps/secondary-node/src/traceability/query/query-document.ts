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
export function renderEvent(event: StoredEvent): Record<string, unknown> {
  const rendered: Record<string, unknown> = { ...event.document, eventID: event.eventId, recordTime: event.recordTime.toISOString() };
  if (event.errorDeclaredAt !== null) {
    const declaration: Record<string, unknown> = { declarationTime: event.errorDeclaredAt.toISOString() };
    if (event.errorReason !== null) declaration.reason = event.errorReason;
    if (event.correctiveEventIds !== null && event.correctiveEventIds.length > 0) declaration.correctiveEventIDs = event.correctiveEventIds;
    rendered.errorDeclaration = declaration;
  }
  return rendered;
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
