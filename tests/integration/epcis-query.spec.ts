import type { NormalisedEvent } from '@idis/epcis';
import { aggregationEvent, at, objectEvent, seedEvents, transactionEvent, transformationEvent } from '../support/epcis-seed';
import { type HttpReply, TestNode } from '../support/test-node';

const A = '88.118.10';
const B = '88.118.11';
const SHIPPING_SPELLINGS = ['shipping', 'https://ref.gs1.org/cbv/BizStep-shipping', 'urn:epcglobal:cbv:bizstep:shipping'];
const product = (i: number) => `hdl:${A}/P${String(i).padStart(3, '0')}`;
const DIGITAL_LINK = 'https://id.gs1.org/01/09506000134352/21/2018';

function expectEpcisProblem(reply: HttpReply, status: number, type: string, detail?: RegExp): void {
  expect(reply.status).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(reply.body).toMatchObject({ type, title: expect.any(String), status, detail: expect.any(String) });
  if (detail) expect(reply.body.detail).toMatch(detail);
}

function eventList(reply: HttpReply): Array<Record<string, any>> {
  return reply.body.epcisBody.queryResults.resultsBody.eventList;
}

function ids(reply: HttpReply): string[] {
  return eventList(reply).map((event) => event.eventID as string);
}

function nextLink(reply: HttpReply): string | null {
  const link = reply.headers.get('link');
  if (!link) return null;
  const match = /^<([^>]+)>; rel="next"$/.exec(link);
  if (!match) throw new Error(`unexpected Link header ${link}`);
  return match[1];
}

describe('EPCIS 2.0 REST queries', () => {
  let node: TestNode;
  let operator: string;
  let ownerA: string;
  let seededA: NormalisedEvent[];
  let seededB: NormalisedEvent[];
  let all: NormalisedEvent[];

  beforeAll(async () => {
    node = await TestNode.start();
    operator = await node.operatorToken();
    ownerA = (await node.approvedEnterprise(A, 'query-ent-a')).token;
    await node.approvedEnterprise(B, 'query-ent-b');

    const eventsA: Record<string, unknown>[] = [];
    // Supplier lot turned into the first five products.
    eventsA.push(transformationEvent({ time: at(-10), inputs: [`hdl:${A}/LOT1`], outputs: [0, 1, 2, 3, 4].map(product), bizStep: 'assembling' }));
    eventsA.push(transformationEvent({ time: at(-9), inputs: [`hdl:${A}/LOT2`], outputs: [5, 6].map(product), bizStep: 'assembling', eventID: 'urn:uuid:5b7d2f4e-1c3a-4e8b-9f00-000000000002' }));
    for (let i = 0; i < 40; i += 1) {
      eventsA.push(objectEvent({ time: at(i), epcs: [product(i)], action: 'ADD', bizStep: 'commissioning', disposition: 'active', bizLocation: `hdl:${A}/site-1` }));
    }
    for (let k = 0; k < 5; k += 1) {
      eventsA.push(aggregationEvent({ time: at(60 + k), parent: `hdl:${A}/CASE${k}`, children: [0, 1, 2, 3, 4, 5, 6, 7].map((j) => product(k * 8 + j)), bizStep: 'packing' }));
    }
    // Four shipping events share each eventTime (paging must break ties by eventID), in three spellings.
    for (let i = 0; i < 40; i += 1) {
      eventsA.push(objectEvent({ time: at(100 + Math.floor(i / 4)), epcs: [product(i)], bizStep: SHIPPING_SPELLINGS[i % 3], disposition: 'in_transit' }));
    }
    eventsA.push(transactionEvent({ time: at(150), epcs: [product(0)], po: 'urn:epcglobal:cbv:bt:0614141000005:PO-1' }));
    eventsA.push(objectEvent({ time: at(151), epcs: [DIGITAL_LINK], bizStep: 'inspecting', eventID: 'urn:uuid:5b7d2f4e-1c3a-4e8b-9f00-000000000001' }));
    seededA = await seedEvents(node, A, eventsA);

    const eventsB: Record<string, unknown>[] = [];
    for (let i = 0; i < 10; i += 1) eventsB.push(objectEvent({ time: at(200 + i), epcs: [product(i)], bizStep: 'receiving', disposition: 'in_progress' }));
    seededB = await seedEvents(node, B, eventsB);
    all = [...seededA, ...seededB];
  });

  afterAll(async () => {
    await node?.stop();
  });

  const get = (path: string, token = operator) => node.request('GET', path, { token });

  /** Follows rel="next" to the end; asserts the order and that no page repeats an event. */
  async function everything(path: string, token = operator, maxPages = 200): Promise<{ ids: string[]; pages: number }> {
    const seen: string[] = [];
    let url: string | null = path;
    let pages = 0;
    let lastTime = '';
    while (url !== null) {
      pages += 1;
      if (pages > maxPages) throw new Error(`more than ${maxPages} pages`);
      const reply = await get(url, token);
      expect(reply.status).toBe(200);
      for (const event of eventList(reply)) {
        const time = new Date(event.eventTime as string).toISOString();
        expect(time >= lastTime).toBe(true);
        lastTime = time;
        seen.push(event.eventID as string);
      }
      url = nextLink(reply);
    }
    expect(new Set(seen).size).toBe(seen.length);
    return { ids: seen, pages };
  }

  const idsOf = (events: NormalisedEvent[]) => events.map((e) => e.eventId).sort();

  describe('GET /epcis/events', () => {
    it('answers an EPCISQueryDocument of the first 30 events by eventTime, with a Link to the next page', async () => {
      const reply = await get('/epcis/events');
      expect(reply.status).toBe(200);
      expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
      expect(reply.body).toEqual({
        '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
        type: 'EPCISQueryDocument',
        schemaVersion: '2.0',
        creationDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        epcisBody: { queryResults: { queryName: 'SimpleEventQuery', resultsBody: { eventList: expect.any(Array) } } },
      });
      const events = eventList(reply);
      expect(events).toHaveLength(30);
      // The first ones are the two transformations (before 08:00), then the commissioning events in order.
      expect(events.slice(0, 2).map((e) => e.type)).toEqual(['TransformationEvent', 'TransformationEvent']);
      expect(events[2]).toMatchObject({ type: 'ObjectEvent', action: 'ADD', bizStep: 'commissioning', epcList: [product(0)], eventTimeZoneOffset: '+08:00' });
      expect(events[2].eventID).toBe(seededA.find((e) => e.type === 'ObjectEvent' && e.bizStep === 'commissioning')?.eventId);
      expect(events[2].eventID).toMatch(/^ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0$/);
      expect(typeof events[2].recordTime).toBe('string');
      expect(nextLink(reply)).toMatch(/^\/epcis\/events\?perPage=30&nextPageToken=/);
      expect(reply.headers.get('gs1-next-page-token-expires')).toMatch(/^\d{4}-/);
    });

    it('pages through every event exactly once, ties on eventTime included, with any page size', async () => {
      const seven = await everything('/epcis/events?perPage=7');
      expect([...seven.ids].sort()).toEqual(idsOf(all));
      expect(seven.pages).toBe(Math.ceil(all.length / 7));
      const big = await everything('/epcis/events?perPage=1000');
      expect(big.pages).toBe(1);
      expect(big.ids).toEqual(seven.ids);
      // perPage=4 puts each group of four simultaneous shipping events across page boundaries in various ways.
      const four = await everything('/epcis/events?perPage=3');
      expect(four.ids).toEqual(seven.ids);
    });

    it('filters by eventType: one, repeated, or a list', async () => {
      const aggregations = all.filter((e) => e.type === 'AggregationEvent');
      expect([...(await everything('/epcis/events?eventType=AggregationEvent')).ids].sort()).toEqual(idsOf(aggregations));
      const mixed = all.filter((e) => e.type === 'AggregationEvent' || e.type === 'TransformationEvent');
      expect([...(await everything('/epcis/events?eventType=AggregationEvent&eventType=TransformationEvent')).ids].sort()).toEqual(idsOf(mixed));
      expect([...(await everything('/epcis/events?eventType=AggregationEvent,TransformationEvent')).ids].sort()).toEqual(idsOf(mixed));
      expect([...(await everything('/epcis/events?eventType=AggregationEvent%7CTransformationEvent')).ids].sort()).toEqual(idsOf(mixed));
      expect(ids(await get('/epcis/events?eventType=AssociationEvent'))).toEqual([]);
    });

    it('filters by GE_eventTime (inclusive) and LT_eventTime (exclusive), in any time zone', async () => {
      const from = Date.parse(at(10));
      const to = Date.parse(at(20));
      const expected = all.filter((e) => e.eventTime.getTime() >= from && e.eventTime.getTime() < to);
      expect(expected).toHaveLength(10);
      const query = `GE_eventTime=${encodeURIComponent(at(10))}&LT_eventTime=${encodeURIComponent(at(20))}`;
      expect([...(await everything(`/epcis/events?${query}`)).ids].sort()).toEqual(idsOf(expected));
      // The same instants in UTC.
      const utc = `GE_eventTime=${new Date(from).toISOString()}&LT_eventTime=${new Date(to).toISOString()}`;
      expect([...(await everything(`/epcis/events?${utc}`)).ids].sort()).toEqual(idsOf(expected));
      // An unencoded "+" arrives as a space: still read as the +08:00 offset.
      expect([...(await everything(`/epcis/events?GE_eventTime=${at(10)}&LT_eventTime=${at(20)}`)).ids].sort()).toEqual(idsOf(expected));
      expect(ids(await get(`/epcis/events?GE_eventTime=${encodeURIComponent(at(20))}&LT_eventTime=${encodeURIComponent(at(20))}`))).toEqual([]);
    });

    it('filters by EQ_bizStep, matching the bare CBV word and its URIs alike', async () => {
      const shipping = all.filter((e) => e.bizStep !== null && SHIPPING_SPELLINGS.includes(e.bizStep));
      expect(shipping).toHaveLength(40);
      for (const spelling of SHIPPING_SPELLINGS) {
        expect([...(await everything(`/epcis/events?EQ_bizStep=${encodeURIComponent(spelling)}`)).ids].sort()).toEqual(idsOf(shipping));
      }
      const packingOrReceiving = all.filter((e) => e.bizStep === 'packing' || e.bizStep === 'receiving');
      expect([...(await everything('/epcis/events?EQ_bizStep=packing&EQ_bizStep=https%3A%2F%2Fref.gs1.org%2Fcbv%2FBizStep-receiving')).ids].sort()).toEqual(
        idsOf(packingOrReceiving),
      );
      expect(ids(await get('/epcis/events?EQ_bizStep=https%3A%2F%2Fexample.com%2Fsteps%2Fblessing'))).toEqual([]);
    });

    it('filters by MATCH_anyEPC in any role (epcList, parentID, childEPCs, input, output), with canonical identifiers', async () => {
      const p3 = product(3);
      const mentioning = all.filter((e) => e.identifiers.some((ref) => ref.id === p3));
      // commissioning, transformation output, packing child, shipping, receiving at B
      expect(new Set(mentioning.map((e) => e.type))).toEqual(new Set(['ObjectEvent', 'TransformationEvent', 'AggregationEvent']));
      expect(mentioning).toHaveLength(5);
      expect([...(await everything(`/epcis/events?MATCH_anyEPC=${encodeURIComponent(p3)}`)).ids].sort()).toEqual(idsOf(mentioning));
      const parent = `hdl:${A}/CASE1`;
      expect(ids(await get(`/epcis/events?MATCH_anyEPC=${encodeURIComponent(parent)}`))).toEqual([seededA.find((e) => e.identifiers.some((r) => r.id === parent))?.eventId]);
      const input = `hdl:${A}/LOT1`;
      expect(eventList(await get(`/epcis/events?MATCH_anyEPC=${encodeURIComponent(input)}`)).map((e) => e.type)).toEqual(['TransformationEvent']);
      const two = all.filter((e) => e.identifiers.some((ref) => ref.id === parent || ref.id === DIGITAL_LINK));
      expect(two).toHaveLength(2);
      expect([...(await everything(`/epcis/events?MATCH_anyEPC=${encodeURIComponent(parent)}&MATCH_anyEPC=${encodeURIComponent(DIGITAL_LINK)}`)).ids].sort()).toEqual(idsOf(two));
      expect([...(await everything(`/epcis/events?MATCH_anyEPC=${encodeURIComponent(`${parent}|${DIGITAL_LINK}`)}`)).ids].sort()).toEqual(idsOf(two));
      expect(ids(await get(`/epcis/events?MATCH_anyEPC=${encodeURIComponent(`hdl:${A}/NOPE`)}`))).toEqual([]);
    });

    it('combines every filter, and pages the combination', async () => {
      const from = Date.parse(at(100));
      const to = Date.parse(at(108));
      const wanted = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 30].map(product));
      const expected = all.filter(
        (e) =>
          e.type === 'ObjectEvent' &&
          e.eventTime.getTime() >= from &&
          e.eventTime.getTime() < to &&
          e.bizStep !== null &&
          SHIPPING_SPELLINGS.includes(e.bizStep) &&
          e.identifiers.some((ref) => wanted.has(ref.id)),
      );
      expect(expected).toHaveLength(10);
      const query =
        `eventType=ObjectEvent&GE_eventTime=${encodeURIComponent(at(100))}&LT_eventTime=${encodeURIComponent(at(108))}` +
        `&EQ_bizStep=shipping&MATCH_anyEPC=${encodeURIComponent([...wanted].join('|'))}`;
      const paged = await everything(`/epcis/events?${query}&perPage=2`);
      expect([...paged.ids].sort()).toEqual(idsOf(expected));
      expect(paged.pages).toBe(5);
    });

    it('refuses a forged, edited, garbled or foreign nextPageToken with 400', async () => {
      const first = await get('/epcis/events?perPage=5');
      const link = nextLink(first) as string;
      const token = new URL(link, 'http://x').searchParams.get('nextPageToken') as string;
      const [payload, signature] = token.split('.');
      const body = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const edited = Buffer.from(JSON.stringify({ ...body, i: 'urn:uuid:00000000-0000-0000-0000-000000000000' })).toString('base64url');
      for (const bad of [`${edited}.${signature}`, `${payload}.${signature.slice(0, -2)}AA`, 'garbage', `${payload}`, `${token}.x`, '%%%']) {
        const reply = await get(`/epcis/events?perPage=5&nextPageToken=${encodeURIComponent(bad)}`);
        expectEpcisProblem(reply, 400, 'epcisException:QueryParameterException', /nextPageToken/);
      }
      // A token only continues the query that issued it.
      const other = await get(`/epcis/events?perPage=5&eventType=ObjectEvent&nextPageToken=${encodeURIComponent(token)}`);
      expectEpcisProblem(other, 400, 'epcisException:QueryParameterException', /different query/);
      // The genuine token works, also with another page size.
      expect((await get(`/epcis/events?perPage=2&nextPageToken=${encodeURIComponent(token)}`)).status).toBe(200);
    });

    it.each([
      // EQ_readPoint is answered now; a parameter EPCIS does not name stays unknown
      ['an unknown parameter', 'EQ_colour=red', /EQ_colour/],
      ['a misspelt parameter', 'eventtype=ObjectEvent', /eventtype/],
      ['an unknown event type', 'eventType=BogusEvent', /eventType/],
      ['a date without zone', 'GE_eventTime=2025-01-15T08:00:00', /GE_eventTime/],
      ['a non-date', 'LT_eventTime=yesterday', /LT_eventTime/],
      ['an impossible date', 'GE_eventTime=2025-02-30T00:00:00Z', /GE_eventTime/],
      ['an impossible month', 'GE_eventTime=2025-13-01T00:00:00Z', /GE_eventTime/],
      ['an impossible offset', 'GE_eventTime=2025-01-01T00:00:00%2B15:00', /GE_eventTime/],
      ['two GE_eventTime', `GE_eventTime=2025-01-01T00:00:00Z&GE_eventTime=2025-01-02T00:00:00Z`, /GE_eventTime/],
      ['perPage 0', 'perPage=0', /perPage/],
      ['perPage above 1000', 'perPage=1001', /perPage/],
      ['perPage not a number', 'perPage=ten', /perPage/],
      ['a bizStep that is no CBV word', 'EQ_bizStep=shiping', /EQ_bizStep/],
      ['a reserved CBV URI that names no step', 'EQ_bizStep=urn%3Aepcglobal%3Acbv%3Abizstep%3Ashiping', /EQ_bizStep/],
      ['an EPC that is no identifier', 'MATCH_anyEPC=not%20an%20id', /MATCH_anyEPC/],
      ['an empty EPC', 'MATCH_anyEPC=', /MATCH_anyEPC/],
      ['too many EPCs', `MATCH_anyEPC=${Array.from({ length: 101 }, (_, i) => `urn:x:${i}`).join('%7C')}`, /at most 100/],
    ])('refuses %s with a QueryParameterException', async (_what, query, detail) => {
      expectEpcisProblem(await get(`/epcis/events?${query}`), 400, 'epcisException:QueryParameterException', detail);
    });
  });

  describe('GET /epcis/events/{eventID}', () => {
    it('finds an event by its urn:uuid eventID', async () => {
      const reply = await get('/epcis/events/urn%3Auuid%3A5b7d2f4e-1c3a-4e8b-9f00-000000000001');
      expect(reply.status).toBe(200);
      expect(reply.body.type).toBe('EPCISQueryDocument');
      expect(eventList(reply)).toEqual([
        expect.objectContaining({ eventID: 'urn:uuid:5b7d2f4e-1c3a-4e8b-9f00-000000000001', epcList: [DIGITAL_LINK], bizStep: 'inspecting' }),
      ]);
      // Unencoded works too.
      expect(ids(await get('/epcis/events/urn:uuid:5b7d2f4e-1c3a-4e8b-9f00-000000000001'))).toEqual(['urn:uuid:5b7d2f4e-1c3a-4e8b-9f00-000000000001']);
    });

    it('finds an event by its computed hash ID, URL-encoded or not, and an event with an eventID by its hash ID', async () => {
      const event = seededA.find((e) => !e.eventIdGiven && e.type === 'AggregationEvent') as NormalisedEvent;
      expect(ids(await get(`/epcis/events/${encodeURIComponent(event.eventId)}`))).toEqual([event.eventId]);
      expect(ids(await get(`/epcis/events/${event.eventId}`))).toEqual([event.eventId]);
      const given = seededA.find((e) => e.eventId === 'urn:uuid:5b7d2f4e-1c3a-4e8b-9f00-000000000001') as NormalisedEvent;
      expect(ids(await get(`/epcis/events/${encodeURIComponent(given.hashId)}`))).toEqual([given.eventId]);
    });

    it('answers 404 NoSuchResourceException for an unknown event, 400 for query parameters', async () => {
      expectEpcisProblem(await get('/epcis/events/urn%3Auuid%3A00000000-0000-0000-0000-000000000000'), 404, 'epcisException:NoSuchResourceException');
      expectEpcisProblem(await get('/epcis/events/urn%3Auuid%3A5b7d2f4e-1c3a-4e8b-9f00-000000000001?foo=1'), 400, 'epcisException:QueryParameterException');
      expect((await get('/epcis/events/%E0%A4%A')).status).toBe(400);
    });

    it('returns a declared-erroneous event with its errorDeclaration', async () => {
      const original = objectEvent({ time: at(300), epcs: [product(39)], bizStep: 'shipping', eventID: 'urn:uuid:5b7d2f4e-1c3a-4e8b-9f00-0000000000e1' });
      await seedEvents(node, A, [original]);
      const declaration = {
        ...original,
        errorDeclaration: { declarationTime: '2025-01-16T09:00:00.000+08:00', reason: 'incorrect_data', correctiveEventIDs: ['urn:uuid:5b7d2f4e-1c3a-4e8b-9f00-0000000000e2'] },
      };
      const store = await seedDeclaration(declaration);
      expect(store).toBe('error-declared');
      const reply = await get('/epcis/events/urn%3Auuid%3A5b7d2f4e-1c3a-4e8b-9f00-0000000000e1');
      expect(eventList(reply)).toEqual([
        expect.objectContaining({
          eventID: 'urn:uuid:5b7d2f4e-1c3a-4e8b-9f00-0000000000e1',
          errorDeclaration: { declarationTime: '2025-01-16T01:00:00.000Z', reason: 'incorrect_data', correctiveEventIDs: ['urn:uuid:5b7d2f4e-1c3a-4e8b-9f00-0000000000e2'] },
        }),
      ]);
      // It also carries it in query results, and is not duplicated.
      const listed = eventList(await get(`/epcis/events?MATCH_anyEPC=${encodeURIComponent(product(39))}&GE_eventTime=${encodeURIComponent(at(300))}`));
      expect(listed).toHaveLength(1);
      expect(listed[0].errorDeclaration).toMatchObject({ reason: 'incorrect_data' });
    });
  });

  async function seedDeclaration(event: Record<string, unknown>): Promise<string> {
    const { parseEpcisPayload } = await import('@idis/epcis');
    const { EventStore } = await import('../../apps/secondary-node/src/traceability/store/event-store');
    const parsed = parseEpcisPayload(JSON.stringify(event));
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
    const [outcome] = await node.app.get(EventStore).storeBatch([{ event: parsed.events[0], enterprisePrefix: A, source: 'capture' }]);
    return outcome;
  }

  describe('GET /epcis/epcs/{epc}/events', () => {
    it('lists the events of an identifier, URL-encoded or with its slash as is', async () => {
      const p5 = product(5);
      const expected = all.filter((e) => e.identifiers.some((ref) => ref.id === p5));
      expect([...(await everything(`/epcis/epcs/${encodeURIComponent(p5)}/events?perPage=2`)).ids].sort()).toEqual(idsOf(expected));
      expect([...ids(await get(`/epcis/epcs/${p5}/events`))].sort()).toEqual(idsOf(expected));
      expect(ids(await get(`/epcis/epcs/${encodeURIComponent(DIGITAL_LINK)}/events`))).toEqual(['urn:uuid:5b7d2f4e-1c3a-4e8b-9f00-000000000001']);
    });

    it('applies the filters to the identifier\'s events', async () => {
      const p5 = product(5);
      const expected = all.filter((e) => e.identifiers.some((ref) => ref.id === p5) && e.bizStep === 'receiving');
      expect(expected).toHaveLength(1);
      expect(ids(await get(`/epcis/epcs/${encodeURIComponent(p5)}/events?EQ_bizStep=receiving`))).toEqual(idsOf(expected));
      expect(ids(await get(`/epcis/epcs/${encodeURIComponent(p5)}/events?eventType=AssociationEvent`))).toEqual([]);
    });

    it('answers 404 for an identifier no event mentions, 400 for a bad one or a parameter it does not take', async () => {
      expectEpcisProblem(await get(`/epcis/epcs/${encodeURIComponent(`hdl:${A}/NOPE`)}/events`), 404, 'epcisException:NoSuchResourceException');
      expectEpcisProblem(await get('/epcis/epcs/not%20an%20id/events'), 400, 'epcisException:QueryParameterException');
      expectEpcisProblem(await get(`/epcis/epcs/${encodeURIComponent(product(5))}/events?MATCH_anyEPC=${encodeURIComponent(product(6))}`), 400, 'epcisException:QueryParameterException');
      expectEpcisProblem(await get(`/epcis/epcs/${encodeURIComponent(product(5))}`), 404, 'epcisException:NoSuchResourceException');
    });
  });

  it('shows an enterprise only its own events, filtered in SQL so pages stay full', async () => {
    const own = await everything('/epcis/events?perPage=10', ownerA);
    expect([...own.ids].sort()).toEqual(idsOf(seededA).concat(['urn:uuid:5b7d2f4e-1c3a-4e8b-9f00-0000000000e1']).sort());
    const firstPage = await get('/epcis/events?perPage=10&GE_eventTime=' + encodeURIComponent(at(0)), ownerA);
    expect(ids(firstPage)).toHaveLength(10);
  });
});
