import fc from 'fast-check';
import { parseEventQuery } from '../query/event-query';
import { compileFilter, eventMatches, type FeedEvent, instantMicros, pgInstantMicros } from './event-matcher';
import { subscriptionDocumentBytes } from './subscription-delivery';
import { SubscriptionIndex } from './subscription-index';

/**
 * The compiled predicates of named queries (compileFilter) and the subscription index. Each
 * parameter kind is checked against what its SQL condition in EventQueryRepository.page matches
 * (written out next to each case); tests/integration/epcis-subscription-predicates.spec.ts
 * compares predicate and SQL on random events stored in PostgreSQL.
 */
const SGTIN = (serial: string) => `urn:epc:id:sgtin:0614141.107346.${serial}`;
const DOCK = 'urn:epc:id:sgln:0614141.00777.0';

/** A feed event; `document` stands for the stored document the feed keeps as its text and keys. */
function feedEvent({ document = { type: 'ObjectEvent' }, ...overrides }: Partial<FeedEvent> & { document?: Record<string, unknown> } = {}): FeedEvent {
  const recordTimeKey = overrides.recordTimeKey ?? '2025-01-15T00:00:10.123456Z';
  return {
    eventId: 'urn:uuid:00000000-0000-4000-8000-000000000001',
    hashId: 'ni:///sha-256;aaaa?ver=CBV2.0',
    enterprisePrefix: '88.118.8',
    recordTimeKey,
    recordTime: new Date(recordTimeKey),
    errorDeclaredAt: null,
    errorReason: null,
    correctiveEventIds: null,
    json: Buffer.from(JSON.stringify(document), 'utf8'),
    documentKeys: Object.keys(document),
    eventType: 'ObjectEvent',
    action: 'OBSERVE',
    bizStep: 'shipping',
    disposition: 'in_transit',
    readPoint: DOCK,
    bizLocation: null,
    eventTimeMicros: instantMicros('2025-01-15T00:00:00.000000Z'),
    recordTimeMicros: instantMicros(recordTimeKey),
    identifiers: [`epc ${SGTIN('1')}`],
    ...overrides,
  };
}

function matches(query: Record<string, string | string[]>, event: FeedEvent): boolean {
  return compileFilter(parseEventQuery(query).filter)(event);
}

describe('compiled named-query predicates: one parameter kind at a time, as SQL matches it', () => {
  it('no parameter: every event (SQL: no WHERE)', () => {
    expect(matches({}, feedEvent())).toBe(true);
  });

  it('eventType: event_type = ANY(list); extension types compared as written', () => {
    expect(matches({ eventType: 'ObjectEvent,AggregationEvent' }, feedEvent())).toBe(true);
    expect(matches({ eventType: 'AggregationEvent' }, feedEvent())).toBe(false);
    expect(matches({ eventType: 'https://example.com/MyEvent' }, feedEvent({ eventType: 'https://example.com/MyEvent' }))).toBe(true);
    expect(matches({ eventType: 'https://example.com/MyEvent' }, feedEvent({ eventType: 'https://example.com/myevent' }))).toBe(false);
  });

  it('EQ_bizStep / EQ_disposition: every stored spelling of a CBV word; NULL never equals (SQL = ANY on a NULL column is not true)', () => {
    for (const stored of ['shipping', 'urn:epcglobal:cbv:bizstep:shipping', 'https://ref.gs1.org/cbv/BizStep-shipping', 'https://gs1.org/voc/BizStep-shipping']) {
      expect(matches({ EQ_bizStep: 'shipping' }, feedEvent({ bizStep: stored }))).toBe(true);
      expect(matches({ EQ_bizStep: 'urn:epcglobal:cbv:bizstep:shipping' }, feedEvent({ bizStep: stored }))).toBe(true);
    }
    expect(matches({ EQ_bizStep: 'receiving' }, feedEvent())).toBe(false);
    expect(matches({ EQ_bizStep: 'shipping' }, feedEvent({ bizStep: null }))).toBe(false);
    expect(matches({ EQ_disposition: 'in_transit' }, feedEvent({ disposition: 'https://ref.gs1.org/cbv/Disp-in_transit' }))).toBe(true);
    expect(matches({ EQ_disposition: 'in_transit' }, feedEvent({ disposition: null }))).toBe(false);
    expect(matches({ EQ_disposition: 'urn:example:disp:x' }, feedEvent({ disposition: 'urn:example:disp:X' }))).toBe(false);
  });

  it('EQ_readPoint / EQ_bizLocation: the canonical identifier, exactly', () => {
    expect(matches({ EQ_readPoint: DOCK }, feedEvent())).toBe(true);
    expect(matches({ EQ_readPoint: 'urn:epc:id:sgln:0614141.00777.1' }, feedEvent())).toBe(false);
    expect(matches({ EQ_bizLocation: DOCK }, feedEvent({ bizLocation: null }))).toBe(false);
    expect(matches({ EQ_bizLocation: DOCK }, feedEvent({ bizLocation: DOCK }))).toBe(true);
  });

  it('EQ_eventID: the eventID or the CBV 2.0 hash ID', () => {
    const event = feedEvent();
    expect(matches({ EQ_eventID: event.eventId }, event)).toBe(true);
    expect(matches({ EQ_eventID: event.hashId }, event)).toBe(true);
    expect(matches({ EQ_eventID: 'urn:uuid:00000000-0000-4000-8000-000000000002' }, event)).toBe(false);
  });

  it('GE_/LT_eventTime: >= and < to the microsecond, in any zone', () => {
    const event = feedEvent({ eventTimeMicros: instantMicros('2025-01-15T00:00:00.500000Z') });
    expect(matches({ GE_eventTime: '2025-01-15T08:00:00.5+08:00' }, event)).toBe(true);
    expect(matches({ GE_eventTime: '2025-01-15T08:00:00.500001+08:00' }, event)).toBe(false);
    expect(matches({ LT_eventTime: '2025-01-15T00:00:00.5Z' }, event)).toBe(false);
    expect(matches({ LT_eventTime: '2025-01-15T00:00:00.500001Z' }, event)).toBe(true);
    expect(matches({ GE_eventTime: '2025-01-15T00:00Z', LT_eventTime: '2025-01-15T00:01Z' }, event)).toBe(true);
  });

  it('GE_/LT_recordTime: digits past the microsecond round as PostgreSQL rounds them (rint, ties to even)', () => {
    const event = feedEvent({ recordTimeKey: '2025-01-15T00:00:10.123456Z', recordTimeMicros: instantMicros('2025-01-15T00:00:10.123456Z') });
    // '…10.1234564' reads as …123456, '…10.1234566' as …123457 (>= fails), like '…123456' / '…123457'.
    expect(matches({ GE_recordTime: '2025-01-15T00:00:10.1234564Z' }, event)).toBe(true);
    expect(matches({ GE_recordTime: '2025-01-15T00:00:10.1234566Z' }, event)).toBe(false);
    expect(matches({ LT_recordTime: '2025-01-15T00:00:10.1234566Z' }, event)).toBe(true);
    expect(matches({ LT_recordTime: '2025-01-15T00:00:10.123456Z' }, event)).toBe(false);
    expect(pgInstantMicros('2025-01-15T00:00:10.9999996Z')).toBe(instantMicros('2025-01-15T00:00:11.000000Z'));
    expect(pgInstantMicros('1970-01-01T00:00:00.0000025Z')).toBe(2);
    expect(pgInstantMicros('1970-01-01T00:00:00.0000035Z')).toBe(4);
    expect(pgInstantMicros('2025-01-15T08:00+08:00')).toBe(instantMicros('2025-01-15T00:00:00.000000Z'));
  });

  it('MATCH_anyEPC: any identifier of the event, whatever its role', () => {
    expect(matches({ MATCH_anyEPC: SGTIN('1') }, feedEvent({ identifiers: [`output ${SGTIN('1')}`] }))).toBe(true);
    expect(matches({ MATCH_anyEPC: SGTIN('2') }, feedEvent())).toBe(false);
  });

  it('MATCH_epc / parentID / inputEPC / outputEPC: the identifier in one of the parameter’s roles, exactly or by EPC pattern prefix', () => {
    const aggregation = feedEvent({ identifiers: ['parent urn:epc:id:sscc:0614141.1234567890', `child ${SGTIN('7')}`] });
    expect(matches({ MATCH_epc: SGTIN('7') }, aggregation)).toBe(true); // epc covers child
    expect(matches({ MATCH_parentID: 'urn:epc:id:sscc:0614141.1234567890' }, aggregation)).toBe(true);
    expect(matches({ MATCH_parentID: SGTIN('7') }, aggregation)).toBe(false); // wrong role
    const transformation = feedEvent({ identifiers: [`input ${SGTIN('5')}`, `output ${SGTIN('9')}`] });
    expect(matches({ MATCH_inputEPC: SGTIN('5') }, transformation)).toBe(true);
    expect(matches({ MATCH_outputEPC: SGTIN('5') }, transformation)).toBe(false);
    expect(matches({ MATCH_epc: SGTIN('5') }, transformation)).toBe(false);
    // Patterns: LIKE 'urn:epc:id:sgtin:0614141.107346.%' (prefix, case-sensitive), and the Digital Link spelling.
    expect(matches({ MATCH_epc: 'urn:epc:idpat:sgtin:0614141.107346.*' }, feedEvent())).toBe(true);
    expect(matches({ MATCH_epc: 'urn:epc:idpat:sgtin:0614141.107347.*' }, feedEvent())).toBe(false);
    expect(matches({ MATCH_epc: 'urn:epc:idpat:sgtin:0614141.107346.*' }, feedEvent({ identifiers: ['epc https://id.gs1.org/01/10614141073464/21/x'] }))).toBe(true);
    // Every MATCH_ parameter must hold (AND), each by any of its values (OR).
    expect(matches({ MATCH_inputEPC: SGTIN('5'), MATCH_outputEPC: `${SGTIN('8')}|${SGTIN('9')}` }, transformation)).toBe(true);
    expect(matches({ MATCH_inputEPC: SGTIN('5'), MATCH_outputEPC: SGTIN('8') }, transformation)).toBe(false);
  });

  it('EXISTS_: a column that is not NULL, or a top-level key of the stored document (document ? key)', () => {
    expect(matches({ EXISTS_bizLocation: '' }, feedEvent())).toBe(false);
    expect(matches({ EXISTS_bizLocation: '' }, feedEvent({ bizLocation: DOCK }))).toBe(true);
    expect(matches({ EXISTS_errorDeclaration: '' }, feedEvent())).toBe(false);
    expect(matches({ EXISTS_errorDeclaration: '' }, feedEvent({ errorDeclaredAt: new Date() }))).toBe(true);
    expect(matches({ EXISTS_ilmd: '' }, feedEvent({ document: { ilmd: {} } }))).toBe(true);
    expect(matches({ EXISTS_ilmd: '' }, feedEvent({ document: { ilmd: null } }))).toBe(true); // jsonb ? finds a key holding null
    expect(matches({ EXISTS_ilmd: '' }, feedEvent({ document: { other: { ilmd: 1 } } }))).toBe(false); // top level only
    expect(matches({ 'EXISTS_example:flag': '' }, feedEvent({ document: { 'example:flag': true } }))).toBe(true);
  });

  it('several parameters: all must hold', () => {
    expect(matches({ eventType: 'ObjectEvent', EQ_bizStep: 'shipping', EQ_readPoint: DOCK, MATCH_epc: SGTIN('1') }, feedEvent())).toBe(true);
    expect(matches({ eventType: 'ObjectEvent', EQ_bizStep: 'shipping', EQ_readPoint: DOCK, MATCH_epc: SGTIN('2') }, feedEvent())).toBe(false);
  });

  it('agrees with the reference matcher (eventMatches) on random events and filters', () => {
    const steps = ['shipping', 'receiving', 'urn:epcglobal:cbv:bizstep:shipping', 'urn:example:step:x'];
    const points = [DOCK, 'urn:epc:id:sgln:0614141.00888.0'];
    const identifiers = ['epc', 'child', 'parent', 'input', 'output'].flatMap((role) => ['1', '2', '3'].map((serial) => `${role} ${SGTIN(serial)}`));
    const event = fc.record({
      eventType: fc.constantFrom('ObjectEvent', 'AggregationEvent', 'TransformationEvent'),
      bizStep: fc.option(fc.constantFrom(...steps), { nil: null }),
      disposition: fc.option(fc.constantFrom('in_transit', 'urn:epcglobal:cbv:disp:in_transit', 'active'), { nil: null }),
      readPoint: fc.option(fc.constantFrom(...points), { nil: null }),
      bizLocation: fc.option(fc.constantFrom(...points), { nil: null }),
      identifiers: fc.subarray(identifiers),
      eventSecond: fc.integer({ min: 0, max: 59 }),
      hasIlmd: fc.boolean(),
    });
    const query = fc.record(
      {
        eventType: fc.constantFrom('ObjectEvent', 'AggregationEvent|TransformationEvent'),
        EQ_bizStep: fc.constantFrom('shipping', 'urn:example:step:x|receiving'),
        EQ_disposition: fc.constantFrom('in_transit', 'active'),
        EQ_readPoint: fc.constantFrom(...points),
        EQ_bizLocation: fc.constantFrom(...points),
        MATCH_anyEPC: fc.constantFrom(SGTIN('1'), `${SGTIN('2')}|${SGTIN('3')}`),
        MATCH_epc: fc.constantFrom(SGTIN('1'), 'urn:epc:idpat:sgtin:0614141.107346.*'),
        MATCH_parentID: fc.constantFrom(SGTIN('2')),
        MATCH_inputEPC: fc.constantFrom(SGTIN('3')),
        MATCH_outputEPC: fc.constantFrom(SGTIN('1'), SGTIN('3')),
        GE_eventTime: fc.constantFrom('2025-01-15T00:00:20Z', '2025-01-15T08:00:40.0000004+08:00'),
        LT_eventTime: fc.constantFrom('2025-01-15T00:00:30Z'),
        EXISTS_ilmd: fc.constant(''),
        EXISTS_bizStep: fc.constant(''),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(event, query, (e, q) => {
        const timeKey = `2025-01-15T00:00:${String(e.eventSecond).padStart(2, '0')}.000000Z`;
        const candidate = feedEvent({
          eventType: e.eventType,
          bizStep: e.bizStep,
          disposition: e.disposition,
          readPoint: e.readPoint,
          bizLocation: e.bizLocation,
          identifiers: e.identifiers,
          eventTimeMicros: instantMicros(timeKey),
          document: e.hasIlmd ? { ilmd: {} } : {},
        });
        const filter = parseEventQuery(q as Record<string, string>).filter;
        expect(compileFilter(filter)(candidate)).toBe(eventMatches(filter, 'all', candidate));
      }),
      { numRuns: 2000, seed: 16 },
    );
  });
});

describe('subscription index', () => {
  const filterOf = (query: Record<string, string>) => parseEventQuery(query).filter;

  it('files a subscription under its first indexable condition and offers it only events with one of its values', () => {
    const index = new SubscriptionIndex<string>();
    expect(index.add('by-point', filterOf({ EQ_readPoint: DOCK, EQ_bizStep: 'shipping' }))).toBe('readPoint');
    expect(index.add('by-step', filterOf({ EQ_bizStep: 'receiving', eventType: 'ObjectEvent' }))).toBe('bizStep');
    expect(index.add('by-type', filterOf({ eventType: 'AggregationEvent' }))).toBe('eventType');
    expect(index.add('by-id', filterOf({ EQ_eventID: 'ni:///sha-256;aaaa?ver=CBV2.0', EQ_readPoint: DOCK }))).toBe('eventId');
    expect(index.add('everything', filterOf({ MATCH_epc: SGTIN('1') }))).toBe('none');
    expect(index.candidates(feedEvent()).sort()).toEqual(['by-id', 'by-point', 'everything']);
    expect(index.candidates(feedEvent({ readPoint: null, bizStep: 'urn:epcglobal:cbv:bizstep:receiving', hashId: 'x' })).sort()).toEqual(['by-step', 'everything']);
    expect(index.candidates(feedEvent({ readPoint: null, eventType: 'AggregationEvent', hashId: 'x' })).sort()).toEqual(['by-type', 'everything']);
  });

  it('offers an event once to a subscription found under two of its values, and forgets removed ones', () => {
    const index = new SubscriptionIndex<string>();
    const event = feedEvent();
    index.add('both-ids', filterOf({ EQ_eventID: `${event.eventId}|${event.hashId}` }));
    index.add('point', filterOf({ EQ_readPoint: DOCK }));
    expect(index.candidates(event).sort()).toEqual(['both-ids', 'point']);
    index.remove('point');
    expect(index.candidates(event)).toEqual(['both-ids']);
    expect(index.has('point')).toBe(false);
    // Filed again under a new filter: only the new one counts.
    index.add('both-ids', filterOf({ EQ_readPoint: 'urn:epc:id:sgln:0614141.00888.0' }));
    expect(index.candidates(event)).toEqual([]);
    expect(index.size).toBe(1);
  });

  it('never leaves out a subscription whose predicate matches (random filters and events)', () => {
    const points = [DOCK, 'urn:epc:id:sgln:0614141.00888.0'];
    const query = fc.record(
      {
        eventType: fc.constantFrom('ObjectEvent', 'AggregationEvent'),
        EQ_bizStep: fc.constantFrom('shipping', 'receiving'),
        EQ_disposition: fc.constantFrom('in_transit', 'active'),
        EQ_readPoint: fc.constantFrom(...points),
        EQ_bizLocation: fc.constantFrom(...points),
        EQ_eventID: fc.constantFrom('urn:uuid:00000000-0000-4000-8000-000000000001', 'ni:///sha-256;aaaa?ver=CBV2.0', 'urn:uuid:x'),
      },
      { requiredKeys: [] },
    );
    const event = fc.record({
      eventType: fc.constantFrom('ObjectEvent', 'AggregationEvent'),
      bizStep: fc.option(fc.constantFrom('shipping', 'receiving'), { nil: null }),
      disposition: fc.option(fc.constantFrom('in_transit', 'active'), { nil: null }),
      readPoint: fc.option(fc.constantFrom(...points), { nil: null }),
      bizLocation: fc.option(fc.constantFrom(...points), { nil: null }),
    });
    fc.assert(
      fc.property(fc.array(query, { minLength: 1, maxLength: 20 }), fc.array(event, { minLength: 1, maxLength: 10 }), (queries, events) => {
        const index = new SubscriptionIndex<number>();
        const predicates = queries.map((q) => compileFilter(filterOf(q as Record<string, string>)));
        queries.forEach((q, k) => index.add(k, filterOf(q as Record<string, string>)));
        for (const e of events) {
          const candidate = feedEvent(e);
          const offered = new Set(index.candidates(candidate));
          predicates.forEach((matchesEvent, k) => {
            if (matchesEvent(candidate)) expect(offered.has(k)).toBe(true);
          });
          expect(offered.size).toBe(index.candidates(candidate).length);
        }
      }),
      { numRuns: 500, seed: 16 },
    );
  });
});

describe('subscription document', () => {
  it('is an EPCISQueryDocument whose eventList holds the events texts in order', () => {
    const event = (id: string) => feedEvent({ eventId: id, document: { type: 'ObjectEvent', eventID: id, note: '] } , "' } });
    const now = new Date('2025-03-01T12:00:00Z');
    for (const events of [[], [event('urn:uuid:1')], [event('urn:uuid:1'), event('urn:uuid:2'), event('urn:uuid:3')]]) {
      const text = subscriptionDocumentBytes('recalls "EU"', 'sub-1', events, now).toString('utf8');
      expect(JSON.parse(text)).toEqual({
        '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
        type: 'EPCISQueryDocument',
        schemaVersion: '2.0',
        creationDate: '2025-03-01T12:00:00.000Z',
        epcisBody: { queryResults: { queryName: 'recalls "EU"', subscriptionID: 'sub-1', resultsBody: { eventList: events.map((e) => JSON.parse(e.json.toString('utf8')) as unknown) } } },
      });
    }
  });
});
