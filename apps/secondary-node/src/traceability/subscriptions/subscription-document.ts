import { EPCIS_CONTEXT, renderEvent } from '../query/query-document';
import type { FeedEvent } from './event-matcher';

/** The EPCISQueryDocument of one delivery: the named query's name, the subscription, the events. */
export function subscriptionDocument(queryName: string, subscriptionId: string, events: FeedEvent[], now = new Date()): Record<string, unknown> {
  return {
    '@context': [EPCIS_CONTEXT],
    type: 'EPCISQueryDocument',
    schemaVersion: '2.0',
    creationDate: now.toISOString(),
    epcisBody: { queryResults: { queryName, subscriptionID: subscriptionId, resultsBody: { eventList: events.map(renderEvent) } } },
  };
}

/**
 * JSON.stringify(subscriptionDocument(…)), to the byte, built from each event's JSON text
 * (eventJson), which is made once per event and reused by every delivery that carries it (other
 * subscriptions, retries): the events are most of a delivery's body and of its cost.
 */
export function subscriptionBody(queryName: string, subscriptionId: string, events: FeedEvent[], now = new Date()): string {
  let list = '';
  for (let k = 0; k < events.length; k += 1) list += k === 0 ? eventJson(events[k]) : `,${eventJson(events[k])}`;
  return (
    `{"@context":${CONTEXT_JSON},"type":"EPCISQueryDocument","schemaVersion":"2.0","creationDate":"${now.toISOString()}",` +
    `"epcisBody":{"queryResults":{"queryName":${JSON.stringify(queryName)},"subscriptionID":${JSON.stringify(subscriptionId)},"resultsBody":{"eventList":[${list}]}}}}`
  );
}

const CONTEXT_JSON = JSON.stringify([EPCIS_CONTEXT]);

/** Each event's JSON text, kept as long as the event (the feed's cache, the queues) holds it. */
const eventTexts = new WeakMap<FeedEvent, string>();

/**
 * JSON.stringify(renderEvent(event)), made once per event. renderEvent copies the stored document
 * and sets eventID and recordTime on the copy: a key the document has keeps its place, a new one
 * goes last. So when the document has no recordTime and no eventID other than the event's own (the
 * usual case), the text is the document's own JSON with what is missing appended, and the copy is
 * not made; any other event (an error declaration, a different eventID) goes through renderEvent.
 */
export function eventJson(event: FeedEvent): string {
  let text = eventTexts.get(event);
  if (text === undefined) {
    text = appendedJson(event) ?? JSON.stringify(renderEvent(event));
    eventTexts.set(event, text);
  }
  return text;
}

function appendedJson(event: FeedEvent): string | null {
  const document = event.document;
  if (event.errorDeclaredAt !== null || document === null || typeof document !== 'object' || Array.isArray(document)) return null;
  if (Object.prototype.hasOwnProperty.call(document, 'recordTime') || 'toJSON' in document) return null;
  const hasId = Object.prototype.hasOwnProperty.call(document, 'eventID');
  if (hasId && document.eventID !== event.eventId) return null;
  const json = JSON.stringify(document);
  if (typeof json !== 'string' || json.charCodeAt(0) !== 0x7b || json.charCodeAt(json.length - 1) !== 0x7d) return null;
  const added = `${hasId ? '' : `"eventID":${JSON.stringify(event.eventId)},`}"recordTime":"${event.recordTime.toISOString()}"}`;
  return json.length === 2 ? `{${added}` : `${json.slice(0, -1)},${added}`;
}
