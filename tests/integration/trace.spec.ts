import { aggregationEvent, at, objectEvent, seedEvents, transformationEvent } from '../support/epcis-seed';
import { type HttpReply, TestNode } from '../support/test-node';

const S = '88.118.20'; // supplier
const M = '88.118.21'; // manufacturer
const D = '88.118.22'; // distributor
const STEEL = `hdl:${S}/STEEL-LOT7`;
const RUBBER = `hdl:${S}/RUBBER-LOT3`;
const BIKE1 = `hdl:${M}/BIKE-1`;
const BIKE2 = `hdl:${M}/BIKE-2`;
const CASE1 = `hdl:${M}/CASE-1`;
const PALLET = `hdl:${M}/PALLET-1`;
const TRUCK = `hdl:${D}/TRUCK-9`;
const X1 = `hdl:${M}/REWORK-1`;
const X2 = `hdl:${M}/REWORK-2`;
const X3 = `hdl:${M}/REWORK-3`;

function expectProblem(reply: HttpReply, status: number, code: string): void {
  expect(reply.status).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(reply.body).toMatchObject({ status, code, title: expect.any(String), detail: expect.any(String) });
}

const nodeIds = (reply: HttpReply) => reply.body.graph.nodes.map((n: { id: string }) => n.id).sort();
const nodeOf = (reply: HttpReply, id: string) => reply.body.graph.nodes.find((n: { id: string }) => n.id === id);
const edgeKeys = (reply: HttpReply) => reply.body.graph.edges.map((e: { from: string; to: string; relation: string }) => `${e.from} ${e.relation} ${e.to}`).sort();

describe('GET /api/v1/trace/{handle}', () => {
  let node: TestNode;
  let operator: string;
  let partnerOfM: string;
  let partnerOfD: string;
  let manufacturer: { token: string; enterpriseId: string };
  let distributor: { token: string; enterpriseId: string };

  beforeAll(async () => {
    node = await TestNode.start();
    operator = await node.operatorToken();
    await node.approvedEnterprise(S, 'trace-supplier');
    manufacturer = await node.approvedEnterprise(M, 'trace-maker');
    distributor = await node.approvedEnterprise(D, 'trace-distributor');

    await seedEvents(node, S, [
      objectEvent({ time: at(0), epcs: [STEEL, RUBBER], action: 'ADD', bizStep: 'commissioning', bizLocation: `hdl:${S}/mill` }),
      objectEvent({ time: at(10), epcs: [STEEL, RUBBER], bizStep: 'shipping', bizLocation: `hdl:${S}/mill` }),
    ]);
    await seedEvents(node, M, [
      objectEvent({ time: at(60), epcs: [STEEL, RUBBER], bizStep: 'receiving', bizLocation: `hdl:${M}/plant` }),
      transformationEvent({ time: at(70), inputs: [STEEL, RUBBER], outputs: [BIKE1, BIKE2], bizStep: 'assembling', bizLocation: `hdl:${M}/plant` }),
      aggregationEvent({ time: at(80), parent: CASE1, children: [BIKE1, BIKE2], bizStep: 'packing', bizLocation: `hdl:${M}/plant` }),
      aggregationEvent({ time: at(81), parent: PALLET, children: [CASE1], bizStep: 'packing', bizLocation: `hdl:${M}/plant` }),
      objectEvent({ time: at(90), epcs: [PALLET], bizStep: 'shipping', bizLocation: `hdl:${M}/dock` }),
      // A rework loop: each lot is made from the previous one and the last feeds the first again.
      transformationEvent({ time: at(100), inputs: [X1], outputs: [X2], bizStep: 'repairing' }),
      transformationEvent({ time: at(101), inputs: [X2], outputs: [X3], bizStep: 'repairing' }),
      transformationEvent({ time: at(102), inputs: [X3], outputs: [X1], bizStep: 'repairing' }),
    ]);
    await seedEvents(node, D, [
      objectEvent({ time: at(120), epcs: [PALLET], bizStep: 'receiving', bizLocation: `hdl:${D}/dc` }),
      aggregationEvent({ time: at(130), parent: TRUCK, children: [PALLET], bizStep: 'loading', bizLocation: `hdl:${D}/dc` }),
    ]);

    for (const [username, grantor] of [['trace-partner-m', manufacturer], ['trace-partner-d', distributor]] as const) {
      const created = await node.request('POST', '/api/v1/partners', { token: operator, body: { username, password: 'partner-pass-1', orgName: `Partner ${username}` } });
      expect(created.status).toBe(201);
      const granted = await node.request('POST', `/api/v1/enterprises/${grantor.enterpriseId}/grants`, { token: grantor.token, body: { granteeUsername: username } });
      expect(granted.status).toBe(201);
    }
    partnerOfM = await node.token('trace-partner-m', 'partner-pass-1');
    partnerOfD = await node.token('trace-partner-d', 'partner-pass-1');
  });

  afterAll(async () => {
    await node?.stop();
  });

  const trace = (path: string, token = operator) => node.request('GET', `/api/v1/trace/${path}`, { token });

  it('gives the product timeline by eventTime and its inputs backwards', async () => {
    const reply = await trace(`${M}/BIKE-1?direction=back`);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.body).toMatchObject({ handle: `${M}/BIKE-1`, identifier: BIKE1, direction: 'back', depth: 5, timelineTruncated: false });
    expect(reply.body.timeline.map((e: Record<string, unknown>) => [e.type, e.bizStep])).toEqual([
      ['TransformationEvent', 'assembling'],
      ['AggregationEvent', 'packing'],
    ]);
    expect(nodeIds(reply)).toEqual([BIKE1, RUBBER, STEEL].sort());
    expect(edgeKeys(reply)).toEqual([`${RUBBER} input-of ${BIKE1}`, `${STEEL} input-of ${BIKE1}`]);
    expect(reply.body.graph.edges[0]).toEqual({ from: expect.any(String), to: BIKE1, relation: 'input-of', eventId: expect.stringMatching(/^ni:\/\/\//), eventTime: new Date(at(70)).toISOString() });
    expect(nodeOf(reply, BIKE1)).toEqual({
      id: BIKE1,
      handle: `${M}/BIKE-1`,
      depth: 0,
      access: 'full',
      hiddenRelations: false,
      eventCount: 2,
      summary: { firstEventTime: new Date(at(70)).toISOString(), lastEventTime: new Date(at(80)).toISOString(), lastBizStep: 'packing', lastBizLocation: `hdl:${M}/plant` },
    });
    expect(nodeOf(reply, STEEL)).toMatchObject({ depth: 1, access: 'full', eventCount: 4, summary: { firstEventTime: new Date(at(0)).toISOString(), lastBizStep: 'assembling' } });
    expect(reply.body.graph).toMatchObject({ depthLimitReached: false, truncated: false });
  });

  it('walks back from a pallet through its case and products to the materials, bounded by depth', async () => {
    const full = await trace(`${M}/PALLET-1?direction=back&depth=20`);
    expect(full.status).toBe(200);
    expect(nodeIds(full)).toEqual([PALLET, CASE1, BIKE1, BIKE2, STEEL, RUBBER].sort());
    expect(edgeKeys(full)).toEqual(
      [
        `${PALLET} contains ${CASE1}`,
        `${CASE1} contains ${BIKE1}`,
        `${CASE1} contains ${BIKE2}`,
        `${STEEL} input-of ${BIKE1}`,
        `${RUBBER} input-of ${BIKE1}`,
        `${STEEL} input-of ${BIKE2}`,
        `${RUBBER} input-of ${BIKE2}`,
      ].sort(),
    );
    expect(nodeOf(full, STEEL).depth).toBe(3);
    expect(full.body.graph.depthLimitReached).toBe(false);
    // The pallet's own timeline spans both enterprises (the operator reads everything).
    expect(full.body.timeline.map((e: Record<string, unknown>) => e.bizStep)).toEqual(['packing', 'shipping', 'receiving', 'loading']);

    const two = await trace(`${M}/PALLET-1?direction=back&depth=2`);
    expect(nodeIds(two)).toEqual([PALLET, CASE1, BIKE1, BIKE2].sort());
    expect(two.body.graph.depthLimitReached).toBe(true);
    const one = await trace(`${M}/PALLET-1?direction=back&depth=1`);
    expect(nodeIds(one)).toEqual([PALLET, CASE1].sort());
    expect(one.body.graph.depthLimitReached).toBe(true);
  });

  it('walks forward from a material into the products, their case, the pallet and the truck', async () => {
    const reply = await trace(`${S}/STEEL-LOT7?direction=forward&depth=20`);
    expect(reply.status).toBe(200);
    expect(nodeIds(reply)).toEqual([STEEL, BIKE1, BIKE2, CASE1, PALLET, TRUCK].sort());
    expect(edgeKeys(reply)).toEqual(
      [`${STEEL} input-of ${BIKE1}`, `${STEEL} input-of ${BIKE2}`, `${CASE1} contains ${BIKE1}`, `${CASE1} contains ${BIKE2}`, `${PALLET} contains ${CASE1}`, `${TRUCK} contains ${PALLET}`].sort(),
    );
    expect(nodeOf(reply, TRUCK)).toMatchObject({ depth: 4, summary: { lastBizStep: 'loading', lastBizLocation: `hdl:${D}/dc` } });
    expect(reply.body.graph.depthLimitReached).toBe(false);

    const three = await trace(`${S}/STEEL-LOT7?direction=forward&depth=3`);
    expect(nodeIds(three)).toEqual([STEEL, BIKE1, BIKE2, CASE1, PALLET].sort());
    expect(three.body.graph.depthLimitReached).toBe(true);
    const four = await trace(`${S}/STEEL-LOT7?direction=forward&depth=4`);
    expect(nodeIds(four)).toEqual(nodeIds(reply));
    expect(four.body.graph.depthLimitReached).toBe(false);
  });

  it('stops at a cycle, showing the edge that closes it, in both directions and at any depth', async () => {
    for (const direction of ['forward', 'back']) {
      for (const depth of [3, 20]) {
        const reply = await trace(`${M}/REWORK-1?direction=${direction}&depth=${depth}`);
        expect(reply.status).toBe(200);
        expect(nodeIds(reply)).toEqual([X1, X2, X3].sort());
        expect(edgeKeys(reply)).toEqual([`${X1} input-of ${X2}`, `${X2} input-of ${X3}`, `${X3} input-of ${X1}`].sort());
        expect(reply.body.graph).toMatchObject({ depthLimitReached: false, truncated: false });
      }
    }
    const short = await trace(`${M}/REWORK-1?direction=forward&depth=1`);
    expect(nodeIds(short)).toEqual([X1, X2].sort());
    expect(short.body.graph.depthLimitReached).toBe(true);
  });

  it('defaults to back and depth 5; a URL-encoded handle finds the same product', async () => {
    const reply = await trace(`${M}/BIKE-1`);
    expect(reply.body).toMatchObject({ direction: 'back', depth: 5 });
    expect(nodeIds(reply)).toEqual([BIKE1, RUBBER, STEEL].sort());
    const encoded = await trace(encodeURIComponent(`${M}/BIKE-1`));
    expect(nodeIds(encoded)).toEqual(nodeIds(reply));
  });

  it('shows a partner only what granting enterprises recorded, marking partly hidden nodes and hidden relations', async () => {
    // Granted by the manufacturer: its transformation and packing are readable, the supplier's and distributor's events are not.
    const back = await trace(`${M}/BIKE-1?direction=back`, partnerOfM);
    expect(back.status).toBe(200);
    expect(nodeIds(back)).toEqual([BIKE1, RUBBER, STEEL].sort());
    expect(nodeOf(back, STEEL)).toMatchObject({ access: 'partial', eventCount: 2, summary: { firstEventTime: new Date(at(60)).toISOString(), lastBizStep: 'assembling' } });
    expect(nodeOf(back, BIKE1)).toMatchObject({ access: 'full', hiddenRelations: false });

    const forward = await trace(`${M}/BIKE-1?direction=forward&depth=10`, partnerOfM);
    expect(nodeIds(forward)).toEqual([BIKE1, CASE1, PALLET].sort());
    expect(nodeOf(forward, PALLET)).toMatchObject({ access: 'partial', hiddenRelations: true, eventCount: 2, summary: { lastBizStep: 'shipping' } });
    expect(nodeOf(forward, CASE1)).toMatchObject({ access: 'full', hiddenRelations: false });
    expect(JSON.stringify(forward.body)).not.toContain('TRUCK-9');
    const pallet = await trace(`${M}/PALLET-1?direction=forward`, partnerOfM);
    expect(pallet.body.timeline.map((e: Record<string, unknown>) => e.bizStep)).toEqual(['packing', 'shipping']);

    // Granted by the distributor only: the bike's events are all the manufacturer's.
    expectProblem(await trace(`${M}/BIKE-1`, partnerOfD), 403, 'FORBIDDEN');
    const palletOfD = await trace(`${M}/PALLET-1?direction=back`, partnerOfD);
    expect(palletOfD.status).toBe(200);
    expect(nodeIds(palletOfD)).toEqual([PALLET]);
    expect(nodeOf(palletOfD, PALLET)).toMatchObject({ access: 'partial', hiddenRelations: true });
    expect(palletOfD.body.timeline.map((e: Record<string, unknown>) => e.bizStep)).toEqual(['receiving', 'loading']);
    expect(nodeIds(await trace(`${M}/PALLET-1?direction=forward`, partnerOfD))).toEqual([PALLET, TRUCK].sort());
  });

  it('refuses anonymous callers (401) and callers who may read none of the product\'s events (403)', async () => {
    expectProblem(await node.request('GET', `/api/v1/trace/${M}/BIKE-1`), 401, 'AUTHENTICATION_REQUIRED');
    expectProblem(await trace(`${M}/BIKE-1`, distributor.token), 403, 'FORBIDDEN');
    expect((await trace(`${M}/BIKE-1`, manufacturer.token)).status).toBe(200);
  });

  it.each([
    ['an unknown handle', `${M}/NOPE`, 404, 'NOT_FOUND'],
    ['a handle without suffix', `${M}`, 400, 'INVALID_HANDLE'],
    ['an empty handle', '', 400, 'INVALID_HANDLE'],
    ['an over-long handle', `${M}/${'x'.repeat(300)}`, 400, 'INVALID_HANDLE'],
    ['depth 0', `${M}/BIKE-1?depth=0`, 400, 'VALIDATION_FAILED'],
    ['depth 21', `${M}/BIKE-1?depth=21`, 400, 'VALIDATION_FAILED'],
    ['a non-numeric depth', `${M}/BIKE-1?depth=deep`, 400, 'VALIDATION_FAILED'],
    ['an unknown direction', `${M}/BIKE-1?direction=sideways`, 400, 'VALIDATION_FAILED'],
    ['an unknown parameter', `${M}/BIKE-1?dept=3`, 400, 'VALIDATION_FAILED'],
  ])('refuses %s', async (_what, path, status, code) => {
    expectProblem(await trace(path), status, code);
  });
});
