import { parse } from 'csv-parse/sync';
import type { MqttClient } from 'mqtt';
import { type EnterpriseFixture, type HttpReply, TestNode } from '../support/test-node';
import { waitFor } from '../support/wait-for';
import { consumerReady, endClient, epcisDocument, ingestionEnv, ingestionStatus, objectEvent, publish, testClient } from './ingestion-harness';

const REJECTS = '/api/v1/ingestion/rejects';
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function expectProblem(reply: HttpReply, status: number, code: string): void {
  expect({ status: reply.status, code: reply.body?.code }).toEqual({ status, code });
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
}

/** GET /api/v1/ingestion/rejects against the real Mosquitto: the rejects are real ones, refused by the consumer. */
describe('GET /api/v1/ingestion/rejects', () => {
  const env = ingestionEnv('rejects');
  const root = env.MQTT_TOPIC_ROOT;
  let node: TestNode;
  let publisher: MqttClient;
  let operator: string;
  let acme: EnterpriseFixture;
  let beta: EnterpriseFixture;
  let partner: string;
  const eventId = 'urn:uuid:0a6bd8a0-4d1b-4cde-9d4e-1f2a3b4c5d6e';

  const get = (path: string, token: string) => node.request('GET', path, { token });

  beforeAll(async () => {
    node = await TestNode.start(env);
    operator = await node.operatorToken();
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    beta = await node.approvedEnterprise('88.118.9', 'beta');
    expect((await node.request('POST', '/api/v1/partners', { token: operator, body: { username: 'rejects-partner', password: 'partner-pass-1', orgName: 'P' } })).status).toBe(201);
    partner = await node.token('rejects-partner', 'partner-pass-1');
    await consumerReady(node);
    publisher = await testClient();
    const before = (await ingestionStatus(node, operator)).rejectedTotal;
    // One at a time, so the newest-first order is known: each waits for the one before to be recorded.
    const messages: Array<[string, string]> = [
      [`${root}/88.118.8/events`, '不是 JSON: not an EPCIS document'],
      [`${root}/88.118.9/events`, '{"type": "EPCISDocument"'],
      // Invalid EPCIS (no action) in one event that names its eventID.
      [`${root}/88.118.8/events`, JSON.stringify(epcisDocument([{ ...objectEvent({ epcs: ['hdl:88.118.8/BOX-1'], eventID: eventId }), action: undefined }]))],
      [`${root}/88.118.77/events`, JSON.stringify(epcisDocument([objectEvent({ epcs: ['hdl:88.118.77/X'] })]))],
      [`${root}/not a prefix!/events`, '{}'],
    ];
    for (const [index, [topic, payload]] of messages.entries()) {
      await publish(publisher, topic, payload);
      await waitFor(`reject ${index + 1}`, async () => (await ingestionStatus(node, operator)).rejectedTotal === before + index + 1);
    }
  });

  afterAll(async () => {
    await endClient(publisher);
    await node?.stop();
  });

  it('shows an operator every reject, newest first, with its reason and problems', async () => {
    const reply = await get(REJECTS, operator);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ total: 5, page: 1, pageSize: 20 });
    expect(reply.body.items.map((r: { prefix: string | null; reason: string }) => [r.prefix, r.reason])).toEqual([
      [null, 'invalid_topic'],
      ['88.118.77', 'prefix_not_active'],
      ['88.118.8', 'invalid_payload'],
      ['88.118.9', 'invalid_payload'],
      ['88.118.8', 'invalid_payload'],
    ]);
    expect(reply.body.items[2]).toEqual({
      id: expect.stringMatching(/^\d+$/),
      at: expect.stringMatching(ISO_TIME),
      prefix: '88.118.8',
      source: 'mqtt',
      topic: `${root}/88.118.8/events`,
      reason: 'invalid_payload',
      problems: expect.arrayContaining([expect.objectContaining({ path: expect.stringContaining('action'), message: expect.any(String) })]),
      eventId,
      payloadExcerpt: expect.stringMatching(/^\{"@context"/),
    });
    expect(reply.body.items[2].payloadExcerpt).toHaveLength(200);
    expect(reply.body.items[4]).not.toHaveProperty('eventId');
    expect(reply.body.items[4].payloadExcerpt).toBe('不是 JSON: not an EPCIS document');
  });

  it('pages and filters by prefix, reason and time', async () => {
    const pages = [];
    for (let page = 1; page <= 3; page += 1) pages.push((await get(`${REJECTS}?page=${page}&pageSize=2`, operator)).body.items.map((r: { id: string }) => r.id));
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(new Set(pages.flat()).size).toBe(5);
    expect((await get(`${REJECTS}?prefix=88.118.8`, operator)).body.total).toBe(2);
    expect((await get(`${REJECTS}?prefix=88.118.77`, operator)).body.total).toBe(1);
    expect((await get(`${REJECTS}?reason=invalid_topic`, operator)).body.items).toEqual([expect.objectContaining({ prefix: null, topic: `${root}/not a prefix!/events` })]);
    expect((await get(`${REJECTS}?reason=invalid_payload&prefix=88.118.9`, operator)).body.total).toBe(1);
    expect((await get(`${REJECTS}?from=2000-01-01&to=2001-01-01`, operator)).body.total).toBe(0);
    expect((await get(`${REJECTS}?from=2000-01-01`, operator)).body.total).toBe(5);
  });

  it('shows an enterprise only the rejects under its own prefixes, and refuses another prefix', async () => {
    const own = await get(REJECTS, acme.token);
    expect(own.status).toBe(200);
    expect(own.body.total).toBe(2);
    expect(own.body.items.every((r: { prefix: string }) => r.prefix === '88.118.8')).toBe(true);
    expect((await get(REJECTS, beta.token)).body.items.map((r: { prefix: string }) => r.prefix)).toEqual(['88.118.9']);
    // Another enterprise's prefix and a prefix of nobody are refused alike.
    const crossing = await node.refused('GET', `${REJECTS}?prefix=88.118.9`, { token: acme.token });
    const nobodys = await node.refused('GET', `${REJECTS}?prefix=88.118.77`, { token: acme.token });
    expectProblem(crossing, 403, 'PREFIX_NOT_OWNED');
    expectProblem(nobodys, 403, 'PREFIX_NOT_OWNED');
    expect(crossing.body.detail.replace('88.118.9', 'P')).toBe(nobodys.body.detail.replace('88.118.77', 'P'));
    expect((await get(`${REJECTS}?reason=invalid_topic`, acme.token)).body.total).toBe(0);
  });

  it('exports CSV with a BOM, the operator all of them, an enterprise its own', async () => {
    const response = await fetch(`${node.baseUrl}${REJECTS}?format=csv&pageSize=1`, { headers: { authorization: `Bearer ${operator}` } });
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="ingestion-rejects.csv"');
    expect(response.headers.get('x-total-count')).toBe('5');
    expect(response.headers.get('x-export-truncated')).toBeNull();
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parse(bytes.subarray(3).toString('utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(Object.keys(rows[0])).toEqual(['id', 'at', 'prefix', 'source', 'topic', 'reason', 'problems', 'eventId', 'payloadExcerpt']);
    expect(rows.map((r) => r.reason)).toEqual(['invalid_topic', 'prefix_not_active', 'invalid_payload', 'invalid_payload', 'invalid_payload']);
    expect(rows[2].eventId).toBe(eventId);
    expect(JSON.parse(rows[2].problems)).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.stringContaining('action') })]));
    expect(rows[4].payloadExcerpt).toBe('不是 JSON: not an EPCIS document');

    const own = await fetch(`${node.baseUrl}${REJECTS}?format=csv`, { headers: { authorization: `Bearer ${beta.token}` } });
    const ownRows = parse(Buffer.from(await own.arrayBuffer()).subarray(3).toString('utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(ownRows.map((r) => [r.prefix, r.reason])).toEqual([['88.118.9', 'invalid_payload']]);
    expect(own.headers.get('x-total-count')).toBe('1');
  });

  it('refuses partners and anonymous callers', async () => {
    expectProblem(await get(REJECTS, partner), 403, 'FORBIDDEN');
    expectProblem(await node.request('GET', REJECTS), 401, 'AUTHENTICATION_REQUIRED');
  });

  it.each([
    ['prefix=88..8', 'prefix'],
    [`prefix=${'8'.repeat(65)}`, 'prefix'],
    ['reason=bad_luck', 'reason'],
    ['from=2025-02-30T00:00:00Z', 'from'],
    ['from=2025-11-02&to=2025-11-01', 'from'],
    ['pageSize=0', 'pageSize'],
    ['page=1&page=2', 'page'],
    ['format=xlsx', 'format'],
    ['topic=x', 'topic'],
  ])('refuses ?%s with a 400 naming %s', async (query, name) => {
    const reply = await node.refused('GET', `${REJECTS}?${query}`, { token: operator });
    expectProblem(reply, 400, 'VALIDATION_FAILED');
    expect(reply.body.detail).toContain(name);
  });
});
