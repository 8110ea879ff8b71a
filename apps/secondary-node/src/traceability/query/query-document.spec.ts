import fc from 'fast-check';
import type { StoredEvent } from './event-query.repository';
import { renderEvent, renderEventJson } from './query-document';

const ID = 'urn:uuid:6d4c2b3a-1f0e-4d9c-8b7a-000000000001';

function stored(document: Record<string, unknown>, overrides: Partial<StoredEvent> = {}): StoredEvent {
  return {
    eventId: ID,
    enterprisePrefix: '88.118.8',
    eventTimeKey: '2025-01-15T00:00:00.000000Z',
    recordTimeKey: '2025-01-15T00:00:10.123456Z',
    recordTime: new Date('2025-01-15T00:00:10.123Z'),
    errorDeclaredAt: null,
    errorReason: null,
    correctiveEventIds: null,
    document,
    ...overrides,
  };
}

describe('renderEventJson', () => {
  it('is the text of renderEvent for every shape a document can take', () => {
    const cases: StoredEvent[] = [
      stored({ type: 'ObjectEvent', action: 'OBSERVE', epcList: ['urn:epc:id:sgtin:0614141.107346.1'] }),
      stored({}),
      stored({ type: 'ObjectEvent', eventID: ID, bizStep: 'shipping' }), // the document holds the very id: it keeps its place
      stored({ eventID: 'urn:uuid:another', type: 'ObjectEvent' }), // another id: renderEvent's value, in the document's place
      stored({ eventID: undefined, type: 'ObjectEvent' }),
      stored({ type: 'ObjectEvent', recordTime: '2020-01-01T00:00:00Z' }),
      stored({ type: 'ObjectEvent', errorDeclaration: { declarationTime: '2020-01-01T00:00:00Z' } }),
      stored({ type: 'ObjectEvent', 'example:note': 'snow \u2603, quote " and \\ backslash', nested: { a: [1, null, { b: true }] } }),
      stored({ type: 'ObjectEvent' }, { errorDeclaredAt: new Date('2025-02-01T00:00:00.5Z') }),
      stored({ type: 'ObjectEvent' }, { errorDeclaredAt: new Date('2025-02-01T00:00:00Z'), errorReason: 'incorrect_data', correctiveEventIds: ['urn:uuid:c1', 'urn:uuid:c2'] }),
      stored({ type: 'ObjectEvent' }, { errorDeclaredAt: new Date('2025-02-01T00:00:00Z'), correctiveEventIds: [] }),
      stored({ 1: 'integer-like keys come first in both', type: 'ObjectEvent' }),
    ];
    for (const event of cases) expect(renderEventJson(event)).toBe(JSON.stringify(renderEvent(event)));
  });

  it('agrees with renderEvent on random documents and declarations', () => {
    const key = fc.oneof(fc.constantFrom('eventID', 'recordTime', 'errorDeclaration', 'type', 'action', '0', 'ilmd'), fc.string({ maxLength: 6 }));
    const document = fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 8 });
    const declaration = fc.option(
      fc.record({ at: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }), reason: fc.option(fc.string()), corrective: fc.option(fc.array(fc.string(), { maxLength: 3 })) }),
    );
    fc.assert(
      fc.property(document, fc.boolean(), declaration, (doc, sameId, declared) => {
        if (sameId) doc.eventID = ID;
        const event = stored(doc, declared ? { errorDeclaredAt: declared.at, errorReason: declared.reason, correctiveEventIds: declared.corrective } : {});
        expect(renderEventJson(event)).toBe(JSON.stringify(renderEvent(event)));
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
});
