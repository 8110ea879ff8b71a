import { type NormalisedEvent, parseEpcisPayload } from '@idis/epcis';
import { EventStore } from '../../apps/secondary-node/src/traceability/store/event-store';
import { aggregationEvent, at, objectEvent, seedEvents, transformationEvent } from '../support/epcis-seed';
import { type HttpReply, TestNode } from '../support/test-node';

/**
 * The named parameters of the EPCIS 2.0 SimpleEventQuery (EPCIS 2.0 §8.2.7.1, REST binding GET /events) beyond the
 * common ones: each with good and malformed values, and each confined to what the caller may read.
 */
const A = '88.118.20';
const B = '88.118.21';
const SGTIN = (serial: string) => `urn:epc:id:sgtin:0614141.107346.${serial}`;
const DOCK = 'urn:epc:id:sgln:0614141.00777.0';
const STORE = 'urn:epc:id:sgln:0614141.00888.0';
const CASE = 'urn:epc:id:sscc:0614141.1234567890';
const OUTPUT = 'urn:epc:id:sgtin:0614141.999999.1';
const GIVEN_ID = 'urn:uuid:8a1e2f60-0c5d-4b7a-9e21-000000000006';
const DECLARED_ID = 'urn:uuid:8a1e2f60-0c5d-4b7a-9e21-000000000007';

function eventList(reply: HttpReply): Array<Record<string, any>> {
  expect(reply.status).toBe(200);
  return reply.body.epcisBody.queryResults.resultsBody.eventList;
}

const ids = (reply: HttpReply) => eventList(reply).map((event) => event.eventID as string);
const sorted = (values: string[]) => [...values].sort();

function nextLink(reply: HttpReply): string | null {
  const link = reply.headers.get('link');
  if (!link) return null;
  return (/^<([^>]+)>; rel="next"$/.exec(link) as RegExpExecArray)[1];
}

function expectQueryParameterException(reply: HttpReply, detail: RegExp): void {
  expect(reply.status).toBe(400);
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(reply.body).toMatchObject({ type: 'epcisException:QueryParameterException', status: 400 });
  expect(reply.body.detail).toMatch(detail);
}

describe('EPCIS 2.0 named query parameters', () => {
  let node: TestNode;
  let operator: string;
  let ownerA: string;
  let ownerB: string;
  const a: NormalisedEvent[] = [];
  let b: NormalisedEvent[];
  let laterBatch: Date;

  beforeAll(async () => {
    node = await TestNode.start();
    operator = await node.operatorToken();
    ownerA = (await node.approvedEnterprise(A, 'params-ent-a')).token;
    ownerB = (await node.approvedEnterprise(B, 'params-ent-b')).token;
    a.push(
      ...(await seedEvents(node, A, [
        objectEvent({ time: at(0), epcs: [SGTIN('1'), SGTIN('2')], bizStep: 'shipping', disposition: 'in_transit', readPoint: DOCK, bizLocation: STORE }),
        objectEvent({ time: at(1), epcs: [SGTIN('3')], disposition: 'urn:epcglobal:cbv:disp:in_transit', readPoint: DOCK }),
        // the same GTIN as the URNs above, written as a Digital Link
        objectEvent({ time: at(2), epcs: ['https://id.gs1.org/01/10614141073464/21/4'], disposition: 'active', bizLocation: 'urn:epc:id:sgln:0614141.00999.0' }),
        aggregationEvent({ time: at(3), parent: CASE, children: [SGTIN('1'), SGTIN('2')], bizStep: 'packing' }),
        transformationEvent({ time: at(4), inputs: [SGTIN('5')], outputs: [OUTPUT], bizStep: 'commissioning' }),
      ])),
    );
    // A later transaction, so that record times differ.
    await new Promise((resolve) => setTimeout(resolve, 20));
    a.push(
      ...(await seedEvents(node, A, [
        { ...objectEvent({ time: at(5), epcs: [SGTIN('6')], eventID: GIVEN_ID }), 'example:temp': '5' },
        objectEvent({ time: at(6), epcs: [SGTIN('7')], eventID: DECLARED_ID, bizStep: 'shipping' }),
      ])),
    );
    const declaration = parseEpcisPayload(
      JSON.stringify({
        ...objectEvent({ time: at(6), epcs: [SGTIN('7')], eventID: DECLARED_ID, bizStep: 'shipping' }),
        errorDeclaration: { declarationTime: '2025-01-16T09:00:00.000+08:00', reason: 'incorrect_data' },
      }),
    );
    if (!declaration.ok) throw new Error(JSON.stringify(declaration.problems));
    await node.app.get(EventStore).storeBatch([{ event: declaration.events[0], enterprisePrefix: A, source: 'capture' }]);
    b = await seedEvents(node, B, [
      { ...objectEvent({ time: at(0, 30), epcs: [SGTIN('9')], disposition: 'in_transit', readPoint: DOCK }), 'example:temp': '7' },
    ]);
    const recorded = eventList(await node.request('GET', `/epcis/events?EQ_eventID=${encodeURIComponent(GIVEN_ID)}`, { token: operator }));
    laterBatch = new Date(recorded[0].recordTime as string);
  });

  afterAll(async () => {
    await node?.stop();
  });

  const get = (path: string, token = operator) => node.request('GET', path, { token });
  const q = (params: Record<string, string>) => `/epcis/events?${new URLSearchParams(params).toString()}`;
  const idOf = (i: number) => a[i].eventId;

  it('EQ_readPoint and EQ_bizLocation match the identifier as published', async () => {
    expect(sorted(ids(await get(q({ EQ_readPoint: DOCK }))))).toEqual(sorted([idOf(0), idOf(1), b[0].eventId]));
    expect(ids(await get(q({ EQ_bizLocation: STORE })))).toEqual([idOf(0)]);
    expect(sorted(ids(await get(q({ EQ_bizLocation: `${STORE}|urn:epc:id:sgln:0614141.00999.0` }))))).toEqual(sorted([idOf(0), idOf(2)]));
    expect(ids(await get(q({ EQ_readPoint: 'urn:epc:id:sgln:0614141.00111.0' })))).toEqual([]);
  });

  it('EQ_disposition matches the CBV word and its URIs alike', async () => {
    const inTransit = sorted([idOf(0), idOf(1), b[0].eventId]);
    for (const spelling of ['in_transit', 'urn:epcglobal:cbv:disp:in_transit', 'https://ref.gs1.org/cbv/Disp-in_transit']) {
      expect(sorted(ids(await get(q({ EQ_disposition: spelling }))))).toEqual(inTransit);
    }
    expect(sorted(ids(await get(q({ EQ_disposition: 'in_transit|active' }))))).toEqual(sorted([...inTransit, idOf(2)]));
  });

  it('MATCH_epc looks in epcList and childEPCs, with identifiers or EPC patterns (URN and Digital Link spellings)', async () => {
    expect(sorted(ids(await get(q({ MATCH_epc: SGTIN('1') }))))).toEqual(sorted([idOf(0), idOf(3)]));
    // input and output EPCs are not MATCH_epc
    expect(ids(await get(q({ MATCH_epc: SGTIN('5') })))).toEqual([]);
    const pattern = 'urn:epc:idpat:sgtin:0614141.107346.*';
    const gtin = sorted([idOf(0), idOf(1), idOf(2), idOf(3), idOf(5), idOf(6), b[0].eventId]);
    expect(sorted(ids(await get(q({ MATCH_epc: pattern }))))).toEqual(gtin);
    // A pattern over several GTINs has no Digital Link form: it matches the EPCs written as URNs.
    expect(sorted(ids(await get(q({ MATCH_epc: 'urn:epc:idpat:sgtin:0614141.*.*' }))))).toEqual(gtin.filter((id) => id !== idOf(2)));
  });

  it('MATCH_parentID, MATCH_inputEPC and MATCH_outputEPC look at their own role only', async () => {
    expect(ids(await get(q({ MATCH_parentID: CASE })))).toEqual([idOf(3)]);
    expect(ids(await get(q({ MATCH_parentID: SGTIN('1') })))).toEqual([]);
    expect(ids(await get(q({ MATCH_inputEPC: SGTIN('5') })))).toEqual([idOf(4)]);
    expect(ids(await get(q({ MATCH_outputEPC: 'urn:epc:idpat:sgtin:0614141.999999.*' })))).toEqual([idOf(4)]);
    expect(ids(await get(q({ MATCH_outputEPC: SGTIN('5') })))).toEqual([]);
    // two MATCH_ parameters must both hold
    expect(ids(await get(q({ MATCH_inputEPC: SGTIN('5'), MATCH_outputEPC: OUTPUT })))).toEqual([idOf(4)]);
    expect(ids(await get(q({ MATCH_inputEPC: SGTIN('5'), MATCH_parentID: CASE })))).toEqual([]);
  });

  it('GE_recordTime and LT_recordTime split the two capture transactions', async () => {
    const boundary = laterBatch.toISOString();
    const later = sorted(ids(await get(q({ GE_recordTime: boundary }), ownerA)));
    expect(later).toEqual(sorted([idOf(5), idOf(6)]));
    expect(sorted(ids(await get(q({ LT_recordTime: boundary }), ownerA)))).toEqual(sorted([0, 1, 2, 3, 4].map(idOf)));
  });

  it('EQ_eventID finds events by eventID or CBV 2.0 hash ID', async () => {
    expect(ids(await get(q({ EQ_eventID: GIVEN_ID })))).toEqual([GIVEN_ID]);
    expect(ids(await get(q({ EQ_eventID: a[5].hashId })))).toEqual([GIVEN_ID]);
    expect(sorted(ids(await get(q({ EQ_eventID: `${idOf(0)}|${GIVEN_ID}` }))))).toEqual(sorted([idOf(0), GIVEN_ID]));
    expect(ids(await get(q({ EQ_eventID: 'urn:uuid:00000000-0000-4000-8000-000000000000' })))).toEqual([]);
  });

  it('EXISTS_<field> keeps the events that have the field (columns, event fields and extensions)', async () => {
    expect(ids(await get('/epcis/events?EXISTS_errorDeclaration'))).toEqual([DECLARED_ID]);
    expect(ids(await get('/epcis/events?EXISTS_errorDeclaration=true'))).toEqual([DECLARED_ID]);
    expect(sorted(ids(await get('/epcis/events?EXISTS_bizLocation')))).toEqual(sorted([idOf(0), idOf(2)]));
    expect(ids(await get('/epcis/events?EXISTS_parentID'))).toEqual([idOf(3)]);
    expect(sorted(ids(await get('/epcis/events?EXISTS_example:temp')))).toEqual(sorted([GIVEN_ID, b[0].eventId]));
    expect(ids(await get('/epcis/events?EXISTS_errorDeclaration&EXISTS_example:temp'))).toEqual([]);
  });

  it('orderBy / orderDirection order the results and the pages', async () => {
    const ascending = ids(await get('/epcis/events?perPage=100', ownerA));
    expect(ascending).toHaveLength(7);
    expect(ids(await get('/epcis/events?orderBy=eventTime&perPage=100', ownerA))).toEqual([...ascending].reverse());
    expect(ids(await get('/epcis/events?orderBy=eventTime&orderDirection=ASC&perPage=100', ownerA))).toEqual(ascending);
    expect(ids(await get('/epcis/events?orderDirection=desc&perPage=100', ownerA))).toEqual([...ascending].reverse());
    // recordTime: the first transaction's five, then the later two
    const byRecord = ids(await get('/epcis/events?orderBy=recordTime&orderDirection=ASC&perPage=100', ownerA));
    expect(sorted(byRecord.slice(0, 5))).toEqual(sorted([0, 1, 2, 3, 4].map(idOf)));
    expect(sorted(byRecord.slice(5))).toEqual(sorted([idOf(5), idOf(6)]));
    // pages of two, descending, give every event once in the same order
    const seen: string[] = [];
    let url: string | null = '/epcis/events?orderBy=eventTime&orderDirection=DESC&perPage=2';
    while (url) {
      const reply = await get(url, ownerA);
      seen.push(...ids(reply));
      url = nextLink(reply);
    }
    expect(seen).toEqual([...ascending].reverse());
  });

  it('eventCountLimit caps all pages together', async () => {
    const first = await get('/epcis/events?orderBy=eventTime&eventCountLimit=3&perPage=2', ownerA);
    expect(ids(first)).toEqual([idOf(6), idOf(5)]);
    const link = nextLink(first) as string;
    expect(link).toContain('eventCountLimit=3');
    const second = await get(link, ownerA);
    expect(ids(second)).toEqual([idOf(4)]);
    expect(nextLink(second)).toBeNull();
    expect(ids(await get('/epcis/events?orderBy=eventTime&eventCountLimit=100', ownerA))).toHaveLength(7);
  });

  describe('tenants', () => {
    it("shows B none of A's events whatever the parameters", async () => {
      expect(ids(await get(q({ EQ_eventID: GIVEN_ID }), ownerB))).toEqual([]);
      expect(ids(await get(q({ EQ_eventID: `${idOf(0)}|${a[5].hashId}` }), ownerB))).toEqual([]);
      expect(ids(await get(q({ MATCH_epc: SGTIN('1') }), ownerB))).toEqual([]);
      expect(ids(await get(q({ MATCH_epc: 'urn:epc:idpat:sgtin:0614141.107346.*' }), ownerB))).toEqual([b[0].eventId]);
      expect(ids(await get(q({ MATCH_parentID: CASE }), ownerB))).toEqual([]);
      expect(ids(await get(q({ EQ_readPoint: DOCK }), ownerB))).toEqual([b[0].eventId]);
      expect(ids(await get('/epcis/events?EXISTS_errorDeclaration', ownerB))).toEqual([]);
      expect(ids(await get('/epcis/events?EXISTS_example:temp', ownerB))).toEqual([b[0].eventId]);
      expect(ids(await get('/epcis/events?orderBy=recordTime&perPage=100', ownerB))).toEqual([b[0].eventId]);
      expect(ids(await get(q({ LT_recordTime: '2100-01-01T00:00:00Z' }), ownerB))).toEqual([b[0].eventId]);
    });

    it("gives B only its own events when it replays A's page token", async () => {
      const first = await get('/epcis/events?orderBy=eventTime&orderDirection=ASC&perPage=1', ownerA);
      const link = nextLink(first) as string;
      expect(ids(await get(link, ownerA))).toEqual([eventList(await get('/epcis/events?perPage=2', ownerA))[1].eventID]);
      const replayed = ids(await get(link, ownerB));
      expect(replayed.every((id) => id === b[0].eventId)).toBe(true);
    });

    it('sees A and B together only as the operator', async () => {
      expect(sorted(ids(await get(q({ EQ_readPoint: DOCK }))))).toEqual(sorted([idOf(0), idOf(1), b[0].eventId]));
      expect(sorted(ids(await get(q({ EQ_readPoint: DOCK }), ownerA)))).toEqual(sorted([idOf(0), idOf(1)]));
    });
  });

  it.each([
    ['eventCountLimit without orderBy', 'eventCountLimit=3', /eventCountLimit.*needs orderBy/],
    ['eventCountLimit 0', 'orderBy=eventTime&eventCountLimit=0', /eventCountLimit/],
    ['eventCountLimit not a number', 'orderBy=eventTime&eventCountLimit=ten', /eventCountLimit/],
    ['an orderBy this node does not order by', 'orderBy=bizStep', /orderBy/],
    ['an orderDirection that is neither ASC nor DESC', 'orderBy=eventTime&orderDirection=UP', /orderDirection/],
    ['two orderBy', 'orderBy=eventTime&orderBy=recordTime', /orderBy/],
    ['an EXISTS_ of no event field', 'EXISTS_colour', /EXISTS_colour/],
    ['an EXISTS_ with a value', 'EXISTS_errorDeclaration=false', /EXISTS_errorDeclaration/],
    ['a MATCH_epc that is no identifier', 'MATCH_epc=not%20an%20id', /MATCH_epc/],
    ['a malformed EPC pattern', 'MATCH_epc=urn%3Aepc%3Aidpat%3Asgtin%3A0614141.*.5', /MATCH_epc/],
    ['a MATCH_parentID that is no identifier', 'MATCH_parentID=x', /MATCH_parentID/],
    ['an empty MATCH_inputEPC', 'MATCH_inputEPC=', /MATCH_inputEPC/],
    ['a bad MATCH_outputEPC', 'MATCH_outputEPC=88.118.20%2FX', /MATCH_outputEPC/],
    ['a GE_recordTime without zone', 'GE_recordTime=2025-01-15T08:00:00', /GE_recordTime/],
    ['a LT_recordTime that is no date', 'LT_recordTime=yesterday', /LT_recordTime/],
    ['a disposition that is no CBV word', 'EQ_disposition=in_transits', /EQ_disposition/],
    ['a reserved CBV URI that names no disposition', 'EQ_disposition=urn%3Aepcglobal%3Acbv%3Adisp%3Alost', /EQ_disposition/],
    ['a readPoint that is no identifier', 'EQ_readPoint=dock%207', /EQ_readPoint/],
    ['a bizLocation that is a bare handle', 'EQ_bizLocation=88.118.20%2Fsite', /EQ_bizLocation/],
    ['an eventID that is no URI', 'EQ_eventID=12345', /EQ_eventID/],
    ['a parameter EPCIS names that this node does not answer', 'maxEventCount=10', /maxEventCount/],
  ])('refuses %s with a QueryParameterException', async (_what, query, detail) => {
    expectQueryParameterException(await get(`/epcis/events?${query}`), detail);
  });

  describe('discovery resources', () => {
    const set = (reply: HttpReply) => {
      expect(reply.status).toBe(200);
      return reply.body['@set'] as string[];
    };

    it('list the values found in the events the caller may read', async () => {
      expect(set(await get('/epcis/eventTypes'))).toEqual(['AggregationEvent', 'ObjectEvent', 'TransformationEvent']);
      expect(set(await get('/epcis/eventTypes', ownerB))).toEqual(['ObjectEvent']);
      expect(set(await get('/epcis/readPoints', ownerB))).toEqual([DOCK]);
      expect(set(await get('/epcis/bizLocations', ownerB))).toEqual([]);
      expect(set(await get('/epcis/bizLocations', ownerA))).toEqual([STORE, 'urn:epc:id:sgln:0614141.00999.0'].sort());
      expect(set(await get('/epcis/dispositions', ownerA))).toEqual(['active', 'in_transit', 'urn:epcglobal:cbv:disp:in_transit']);
      expect(set(await get('/epcis/bizSteps', ownerB))).toEqual([]);
      expect(set(await get('/epcis/epcs', ownerB))).toEqual([SGTIN('9')]);
      const epcsA = set(await get('/epcis/epcs?perPage=100', ownerA));
      expect(epcsA).toContain(CASE);
      expect(epcsA).toContain(OUTPUT);
      expect(epcsA).not.toContain(SGTIN('9'));
    });

    it('page with perPage and a Link to the next page', async () => {
      const all = set(await get('/epcis/epcs?perPage=100', ownerA));
      const seen: string[] = [];
      let url: string | null = '/epcis/epcs?perPage=3';
      while (url) {
        const reply = await get(url, ownerA);
        seen.push(...set(reply));
        url = nextLink(reply);
      }
      expect(seen).toEqual(all);
      expect(all.length).toBeGreaterThan(3);
    });

    it('refuse other parameters and a token of another resource', async () => {
      expectQueryParameterException(await get('/epcis/eventTypes?eventType=ObjectEvent'), /eventType/);
      const link = nextLink(await get('/epcis/epcs?perPage=1', ownerA)) as string;
      const token = new URL(link, 'http://x').searchParams.get('nextPageToken') as string;
      expectQueryParameterException(await get(`/epcis/readPoints?nextPageToken=${encodeURIComponent(token)}`, ownerA), /different query/);
    });
  });

  it('answers the same parameters on /epcis/epcs/{epc}/events', async () => {
    expect(ids(await get(`/epcis/epcs/${encodeURIComponent(SGTIN('1'))}/events?MATCH_parentID=${encodeURIComponent(CASE)}`))).toEqual([idOf(3)]);
    expect(ids(await get(`/epcis/epcs/${encodeURIComponent(SGTIN('1'))}/events?orderBy=eventTime`))).toEqual([idOf(3), idOf(0)]);
  });
});
