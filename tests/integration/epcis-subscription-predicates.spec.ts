import fc from 'fast-check';
import { seededRandom } from '@idis/runtime';
import { EventHub } from '../../apps/secondary-node/src/events/event-hub';
import type { CommittedEvents } from '../../apps/secondary-node/src/events/node-events';
import { EventQueryRepository } from '../../apps/secondary-node/src/traceability/query/event-query.repository';
import { committedFeedEvent, EventFeed } from '../../apps/secondary-node/src/traceability/subscriptions/event-feed';
import { compileFilter, type FeedEvent, instantMicros } from '../../apps/secondary-node/src/traceability/subscriptions/event-matcher';
import { parseDefinition } from '../../apps/secondary-node/src/traceability/subscriptions/named-queries.service';
import { seedEvents } from '../support/epcis-seed';
import { TestNode } from '../support/test-node';

/**
 * Subscriptions match new events in memory (compileFilter) where a query runs SQL
 * (EventQueryRepository.page): on random events stored through the real store and random named
 * query definitions, both select the same events — for the events as the store hands them to
 * subscriptions at commit (signal `epcis.events-committed`) and as the feed reads them back. The
 * handed events equal the read ones field by field.
 */
const PREFIX = '88.118.35';
const SGTIN = (serial: number) => `urn:epc:id:sgtin:0614141.107346.${serial}`;
const POINTS = ['urn:epc:id:sgln:0614141.00777.0', 'urn:epc:id:sgln:0614141.00888.0', 'https://id.gs1.org/414/9506000134376'];
const STEPS = ['shipping', 'receiving', 'urn:epcglobal:cbv:bizstep:shipping', 'https://ref.gs1.org/cbv/BizStep-receiving', 'urn:example:step:inspect'];
const DISPOSITIONS = ['in_transit', 'urn:epcglobal:cbv:disp:active', 'https://ref.gs1.org/cbv/Disp-in_transit'];

interface Rng {
  nextInt(min: number, max: number): number;
}

function rngOf(seed: number): Rng {
  const next = seededRandom(seed);
  return { nextInt: (min, max) => min + Math.floor(next() * (max - min + 1)) };
}

function randomEvent(rng: Rng, index: number): Record<string, unknown> {
  const pick = <T>(values: readonly T[]): T => values[rng.nextInt(0, values.length - 1)];
  const maybe = (): boolean => rng.nextInt(0, 2) > 0;
  const serials = () => Array.from({ length: rng.nextInt(1, 3) }, () => SGTIN(rng.nextInt(1, 6)));
  const eventTime = new Date(Date.UTC(2025, 0, 15) + rng.nextInt(0, 60_000)).toISOString();
  const common: Record<string, unknown> = { eventID: `urn:uuid:00000000-0000-4000-8000-${String(index).padStart(12, '0')}`, eventTime, eventTimeZoneOffset: '+00:00' };
  if (maybe()) common.bizStep = pick(STEPS);
  if (maybe()) common.disposition = pick(DISPOSITIONS);
  if (maybe()) common.readPoint = { id: pick(POINTS) };
  if (rng.nextInt(0, 2) === 0) common.bizLocation = { id: pick(POINTS) };
  if (rng.nextInt(0, 3) === 0) common['example:flag'] = true;
  switch (rng.nextInt(0, 2)) {
    case 0: {
      const action = pick(['ADD', 'OBSERVE', 'DELETE']);
      return { type: 'ObjectEvent', ...common, action, epcList: [...new Set(serials())], ...(action === 'ADD' && maybe() ? { ilmd: { 'example:lot': 'L1' } } : {}) };
    }
    case 1:
      return { type: 'AggregationEvent', ...common, action: pick(['ADD', 'OBSERVE']), parentID: `urn:epc:id:sscc:0614141.${rng.nextInt(1000000000, 1000000003)}`, childEPCs: [...new Set(serials())] };
    default:
      return { type: 'TransformationEvent', ...common, inputEPCList: [...new Set(serials())], outputEPCList: [...new Set(serials())] };
  }
}

describe('named-query predicates against SQL on random stored events', () => {
  let node: TestNode;
  const handed: FeedEvent[] = [];
  let read: FeedEvent[] = [];
  const recordTimes: string[] = [];

  beforeAll(async () => {
    node = await TestNode.start();
    const off = node.app.get(EventHub).onSignal('epcis.events-committed', (batch: CommittedEvents) => {
      if (batch.recordTimeKey === null || batch.events === null) throw new Error('a plain batch must carry its events and record time');
      recordTimes.push(batch.recordTimeKey);
      for (const { event, enterprisePrefix } of batch.events) {
        handed.push(committedFeedEvent(event, enterprisePrefix, batch.recordTimeKey, new Date(batch.recordTimeKey), instantMicros(batch.recordTimeKey)));
      }
    });
    const rng = rngOf(16);
    // Six transactions (six record times) of 40 random events each.
    for (let batch = 0; batch < 6; batch += 1) {
      await seedEvents(node, PREFIX, Array.from({ length: 40 }, (_, k) => randomEvent(rng, batch * 40 + k)));
    }
    off();
    const feed = node.app.get(EventFeed);
    await feed.advance();
    read = (await feed.scan({ time: '1970-01-01T00:00:00.000000Z', eventId: '' })).events;
  }, 120_000);

  afterAll(async () => {
    await node?.stop();
  });

  it('hands subscriptions each committed event exactly as the feed reads it back', () => {
    expect(handed.length).toBe(240);
    expect(new Set(recordTimes).size).toBe(6);
    const byId = new Map(read.map((event) => [event.eventId, event]));
    for (const event of handed) {
      const stored = byId.get(event.eventId);
      // Compared parsed and with sorted keys: jsonb orders the document's keys its own way, the content is the same.
      const comparable = (e: FeedEvent) => ({ ...e, json: JSON.parse(e.json.toString('utf8')) as unknown, documentKeys: [...e.documentKeys].sort(), identifiers: [...e.identifiers].sort() });
      expect(comparable(event)).toEqual(comparable(stored as FeedEvent));
    }
  });

  it('matches what the SQL query selects, for random definitions of every parameter kind', async () => {
    const repository = node.app.get(EventQueryRepository);
    const times = read.map((event) => event.recordTimeKey);
    // A record time as given to GE_/LT_recordTime: exact, or with digits past the microsecond that round either way.
    const recordBound = fc.tuple(fc.constantFrom(...times), fc.constantFrom('', '4', '5', '6', '49', '51', '999')).map(([key, extra]) => `${key.slice(0, -1)}${extra}Z`);
    const eventBound = fc.integer({ min: 0, max: 60_000 }).map((ms) => new Date(Date.UTC(2025, 0, 15) + ms).toISOString().replace('Z', `${['', '1', '0005'][ms % 3]}+00:00`).replace(/\.(\d{3})(\d*)\+/, '.$1$2+'));
    const list = (values: string[]) => fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: 3 }).map((picked) => picked.join('|'));
    const serial = fc.integer({ min: 1, max: 7 }).map(SGTIN);
    const kinds: Record<string, fc.Arbitrary<string>> = {
        eventType: list(['ObjectEvent', 'AggregationEvent', 'TransformationEvent', 'TransactionEvent']).map((value) => value.replace(/\|/g, ',')),
        GE_eventTime: eventBound,
        LT_eventTime: eventBound,
        GE_recordTime: recordBound,
        LT_recordTime: recordBound,
        EQ_bizStep: list(['shipping', 'receiving', 'urn:example:step:inspect', 'https://ref.gs1.org/cbv/BizStep-shipping']),
        EQ_disposition: list(['in_transit', 'active', 'urn:epcglobal:cbv:disp:in_transit']),
        EQ_readPoint: list(POINTS),
        EQ_bizLocation: list(POINTS),
        MATCH_anyEPC: fc.array(serial, { minLength: 1, maxLength: 2 }).map((values) => values.join('|')),
        MATCH_epc: fc.oneof(serial, fc.constant('urn:epc:idpat:sgtin:0614141.107346.*'), fc.constant('urn:epc:idpat:sgtin:0614141.107399.*')),
        MATCH_parentID: fc.integer({ min: 1000000000, max: 1000000003 }).map((n) => `urn:epc:id:sscc:0614141.${n}`),
        MATCH_inputEPC: serial,
        MATCH_outputEPC: fc.oneof(serial, fc.constant('urn:epc:idpat:sgtin:0614141.107346.*')),
        EQ_eventID: fc.tuple(fc.constantFrom(...read), fc.boolean()).map(([event, byHash]) => (byHash ? event.hashId : event.eventId)),
        EXISTS_bizLocation: fc.constant(''),
        EXISTS_ilmd: fc.constant(''),
        EXISTS_action: fc.constant(''),
        'EXISTS_example:flag': fc.constant(''),
    };
    // Zero to three parameters per definition (more select nothing among 240 events).
    const definition = fc
      .uniqueArray(fc.constantFrom(...Object.keys(kinds)), { minLength: 0, maxLength: 3 })
      .chain((names) => fc.record(Object.fromEntries(names.map((name) => [name, kinds[name]]))));
    let nonEmpty = 0;
    await fc.assert(
      fc.asyncProperty(definition, async (parameters: Record<string, string>) => {
        const filter = parseDefinition(parameters).filter;
        const bySql = (await repository.page({ filter, identifier: null, visible: 'all', after: null, limit: 10_000 })).map((event) => event.eventId).sort();
        const predicate = compileFilter(filter);
        const fromCommit = handed.filter(predicate).map((event) => event.eventId).sort();
        const fromRead = read.filter(predicate).map((event) => event.eventId).sort();
        if (bySql.length > 0) nonEmpty += 1;
        expect({ parameters, ids: fromCommit }).toEqual({ parameters, ids: bySql });
        expect({ parameters, ids: fromRead }).toEqual({ parameters, ids: bySql });
      }),
      { numRuns: 400, seed: 16 },
    );
    // The random definitions are not all empty ones: most select something.
    expect(nonEmpty).toBeGreaterThan(150);
  }, 120_000);
});
