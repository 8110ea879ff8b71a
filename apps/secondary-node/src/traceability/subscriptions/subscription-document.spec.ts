import fc from 'fast-check';
import type { FeedEvent } from './event-matcher';
import { eventJson, subscriptionBody, subscriptionDocument } from './subscription-document';

/**
 * A delivery's body is built from each event's JSON text (subscriptionBody, eventJson): it must be
 * exactly what JSON.stringify of the EPCISQueryDocument (subscriptionDocument, renderEvent) gives,
 * byte for byte, whatever the stored document holds.
 */
const EVENT_ID = 'urn:uuid:00000000-0000-4000-8000-000000000001';

function feedEvent(document: Record<string, unknown>, overrides: Partial<FeedEvent> = {}): FeedEvent {
  const recordTimeKey = '2025-01-15T00:00:10.123456Z';
  return {
    eventId: EVENT_ID,
    hashId: 'ni:///sha-256;aaaa?ver=CBV2.0',
    enterprisePrefix: '88.118.8',
    eventTimeKey: '2025-01-15T00:00:00.000000Z',
    recordTimeKey,
    recordTime: new Date(recordTimeKey),
    errorDeclaredAt: null,
    errorReason: null,
    correctiveEventIds: null,
    document,
    eventType: 'ObjectEvent',
    action: 'OBSERVE',
    bizStep: null,
    disposition: null,
    readPoint: null,
    bizLocation: null,
    eventTimeMicros: 0,
    recordTimeMicros: 0,
    identifiers: [],
    ...overrides,
  };
}

const NOW = new Date('2025-02-01T12:00:00.000Z');

function expectSameBody(events: FeedEvent[], queryName = 'point-1', subscriptionId = '3f0c1b2e-0000-4000-8000-000000000009'): void {
  expect(subscriptionBody(queryName, subscriptionId, events, NOW)).toBe(JSON.stringify(subscriptionDocument(queryName, subscriptionId, events, NOW)));
}

describe('subscription delivery body', () => {
  it('is the EPCISQueryDocument as JSON.stringify writes it, for the usual shapes of stored documents', () => {
    const cases: Array<Record<string, unknown>> = [
      { type: 'ObjectEvent', eventID: EVENT_ID, action: 'OBSERVE', epcList: ['urn:epc:id:sgtin:0614141.107346.1'] },
      { type: 'ObjectEvent', action: 'OBSERVE' },
      { eventID: EVENT_ID },
      {},
      { type: 'ObjectEvent', eventID: 'urn:uuid:another', action: 'ADD' },
      { type: 'ObjectEvent', recordTime: '2020-01-01T00:00:00.000Z' },
      { type: 'ObjectEvent', 10: 'integer keys come first', 2: 'b', 'ex:ext': { '@value': 'x' } },
      { type: 'ObjectEvent', note: 'quotes " backslash \\ control \u0001 line\u2028 emoji 😀 lone \ud800', eventID: EVENT_ID },
      { type: 'ObjectEvent', skipped: undefined, nested: { a: [1, null, true, 1.5e300] } },
      { type: 'ObjectEvent', ['__proto__']: { polluted: true } },
    ];
    for (const document of cases) expectSameBody([feedEvent(document)]);
    expectSameBody(cases.map((document, k) => feedEvent(document, { eventId: k === 4 ? 'urn:uuid:another' : `urn:uuid:e-${k}` })));
    expectSameBody([]);
    expectSameBody([feedEvent({ type: 'ObjectEvent' })], 'a "quoted" name \\ 😀', 'id');
  });

  it('carries the error declaration of an event declared erroneous', () => {
    const declared = feedEvent(
      { type: 'ObjectEvent', eventID: EVENT_ID },
      { errorDeclaredAt: new Date('2025-01-16T00:00:00.000Z'), errorReason: 'incorrect_data', correctiveEventIds: ['urn:uuid:c'] },
    );
    expectSameBody([declared]);
    expect(JSON.parse(eventJson(declared)).errorDeclaration).toEqual({ declarationTime: '2025-01-16T00:00:00.000Z', reason: 'incorrect_data', correctiveEventIDs: ['urn:uuid:c'] });
  });

  it('makes each event text once and reuses it in every body that carries the event', () => {
    const event = feedEvent({ type: 'ObjectEvent', eventID: EVENT_ID });
    const first = eventJson(event);
    expect(eventJson(event)).toBe(first);
    expect(JSON.parse(first)).toEqual({ type: 'ObjectEvent', eventID: EVENT_ID, recordTime: '2025-01-15T00:00:10.123Z' });
    expect(subscriptionBody('q', 's', [event, event], NOW)).toBe(JSON.stringify(subscriptionDocument('q', 's', [event, event], NOW)));
  });

  it('agrees with JSON.stringify on random JSON documents', () => {
    const documents = fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('eventID', 'recordTime', 'type', '0', '7')), fc.jsonValue(), { maxKeys: 8 });
    fc.assert(
      fc.property(fc.array(documents, { maxLength: 4 }), fc.string(), (docs, name) => {
        const events = docs.map((document, k) => feedEvent(document, { eventId: k % 2 === 0 ? `urn:uuid:e-${k}` : String(document.eventID) }));
        expect(subscriptionBody(name, 'sub', events, NOW)).toBe(JSON.stringify(subscriptionDocument(name, 'sub', events, NOW)));
      }),
      { numRuns: 500 },
    );
  });
});
