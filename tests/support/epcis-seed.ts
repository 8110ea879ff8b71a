import { type NormalisedEvent, parseEpcisPayload } from '@idis/epcis';
import { EventStore } from '../../apps/secondary-node/src/traceability/store/event-store';
import type { TestNode } from './test-node';

/** Test data for the traceability query side: EPCIS 2.0 events parsed by @idis/epcis and stored by EventStore. */

export const EPCIS_CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';

export function epcisDocument(events: Record<string, unknown>[]): Record<string, unknown> {
  return {
    '@context': [EPCIS_CONTEXT],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2025-01-15T08:00:00.000+08:00',
    epcisBody: { eventList: events },
  };
}

/** Parses events exactly as ingestion does and stores them under the enterprise prefix; returns them as normalised. */
export async function seedEvents(node: TestNode, enterprisePrefix: string, events: Record<string, unknown>[]): Promise<NormalisedEvent[]> {
  const stored: NormalisedEvent[] = [];
  // EPCIS documents of at most 500 events each (well under the per-document limit).
  for (let start = 0; start < events.length; start += 500) {
    const parsed = parseEpcisPayload(JSON.stringify(epcisDocument(events.slice(start, start + 500))));
    if (!parsed.ok) throw new Error(`test events do not parse: ${JSON.stringify(parsed.problems.slice(0, 5))}`);
    const store = node.app.get(EventStore);
    const outcomes = await store.storeBatch(parsed.events.map((event) => ({ event, enterprisePrefix: enterprisePrefix.toLowerCase(), source: 'capture' as const })));
    if (outcomes.some((outcome) => outcome === 'duplicate')) throw new Error(`duplicate test events: ${JSON.stringify(outcomes)}`);
    stored.push(...parsed.events);
  }
  return stored;
}

/** An event time `minutes` after 2025-01-15T08:00 in China Standard Time. */
export function at(minutes: number, seconds = 0): string {
  const date = new Date(Date.UTC(2025, 0, 15, 0, 0, 0) + minutes * 60_000 + seconds * 1000);
  // Written with the +08:00 offset, as an enterprise in China would.
  const local = new Date(date.getTime() + 8 * 3600_000).toISOString().replace('Z', '+08:00');
  return local;
}

interface Common {
  time: string;
  eventID?: string;
  bizStep?: string;
  disposition?: string;
  bizLocation?: string;
  readPoint?: string;
}

function common(c: Common): Record<string, unknown> {
  const event: Record<string, unknown> = { eventTime: c.time, eventTimeZoneOffset: '+08:00' };
  if (c.eventID) event.eventID = c.eventID;
  if (c.bizStep) event.bizStep = c.bizStep;
  if (c.disposition) event.disposition = c.disposition;
  if (c.readPoint) event.readPoint = { id: c.readPoint };
  if (c.bizLocation) event.bizLocation = { id: c.bizLocation };
  return event;
}

export function objectEvent(c: Common & { epcs: string[]; action?: 'ADD' | 'OBSERVE' | 'DELETE' }): Record<string, unknown> {
  return { type: 'ObjectEvent', ...common(c), epcList: c.epcs, action: c.action ?? 'OBSERVE' };
}

export function aggregationEvent(c: Common & { parent: string; children: string[]; action?: 'ADD' | 'OBSERVE' | 'DELETE' }): Record<string, unknown> {
  return { type: 'AggregationEvent', ...common(c), parentID: c.parent, childEPCs: c.children, action: c.action ?? 'ADD' };
}

export function transformationEvent(c: Common & { inputs: string[]; outputs: string[] }): Record<string, unknown> {
  return { type: 'TransformationEvent', ...common(c), inputEPCList: c.inputs, outputEPCList: c.outputs };
}

export function transactionEvent(c: Common & { epcs: string[]; po: string }): Record<string, unknown> {
  return { type: 'TransactionEvent', ...common(c), epcList: c.epcs, action: 'ADD', bizTransactionList: [{ type: 'po', bizTransaction: c.po }] };
}
