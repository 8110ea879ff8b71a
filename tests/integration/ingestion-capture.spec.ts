import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { type EnterpriseFixture, TestNode } from '../support/test-node';
import { waitFor } from '../support/wait-for';
import { countRows, endClient, epcisDocument, ingestionStatus, objectEvent, publish, testClient } from './ingestion-harness';
import { createCredential } from './mqtt-access-harness';

/** POST /epcis/capture (HTTP intake) and the node without a broker (services profile, no MQTT_URL). */
describe('EPCIS capture over HTTP', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;

  beforeAll(async () => {
    node = await TestNode.start();
    acme = await node.approvedEnterprise('88.118.8', 'acme');
  });

  afterAll(async () => {
    await node?.stop();
  });

  it('accepts a document: 202 with Location and a finished job, events stored under the enterprise’s prefix', async () => {
    const events = [objectEvent({ epcs: ['hdl:88.118.8/CAP-1'], action: 'ADD', bizStep: 'commissioning' }), objectEvent({ epcs: ['hdl:88.118.8/CAP-1'], bizStep: 'shipping' })];
    const reply = await node.request('POST', '/epcis/capture', { token: acme.token, body: epcisDocument(events) });
    expect(reply.status).toBe(202);
    const location = reply.headers.get('location') as string;
    expect(location).toBe(`/epcis/capture/${reply.body.captureID}`);
    expect(reply.body).toMatchObject({ status: 'succeeded', success: true, running: false, eventCount: 2, stored: 2, duplicates: 0, enterprisePrefix: '88.118.8', errors: [] });

    const job = await node.request('GET', location, { token: acme.token });
    expect(job.status).toBe(200);
    expect(job.body).toEqual(reply.body);
    const rows = await node.db.client.query(`SELECT enterprise_prefix, source FROM epcis_events WHERE event_id = ANY($1)`, [events.map((e) => e.eventID)]);
    expect(rows.rows).toEqual([
      { enterprise_prefix: '88.118.8', source: 'capture' },
      { enterprise_prefix: '88.118.8', source: 'capture' },
    ]);

    // The same document again: a new job, all duplicates, nothing stored twice.
    const again = await node.request('POST', '/epcis/capture', { token: acme.token, body: epcisDocument(events) });
    expect(again.body).toMatchObject({ status: 'succeeded', stored: 0, duplicates: 2 });
    expect(await countRows(node, `SELECT 1 FROM epcis_events WHERE event_id = ANY($1)`, [events.map((e) => e.eventID)])).toBe(2);
    const operator = await node.operatorToken();
    expect((await node.request('GET', location, { token: operator })).status).toBe(200);
    expect(await ingestionStatus(node, operator)).toMatchObject({ storedTotal: 2, duplicatesTotal: 2, enabled: false, disabledReason: 'MQTT_URL is not set (services profile)', consumer: null });
  });

  it('refuses bad captures with a problem and stores nothing', async () => {
    const before = await countRows(node, 'SELECT 1 FROM epcis_events');
    const invalid = objectEvent({ epcs: ['hdl:88.118.8/CAP-BAD'] });
    delete invalid.action;
    const cases: Array<[string, Parameters<TestNode['request']>[2], number]> = [
      ['no token', { body: epcisDocument([objectEvent({ epcs: ['hdl:88.118.8/X'] })]) }, 401],
      ['operator token', { token: await node.operatorToken(), body: epcisDocument([objectEvent({ epcs: ['hdl:88.118.8/X'] })]) }, 403],
      ['invalid event', { token: acme.token, body: epcisDocument([invalid]) }, 400],
      ['a bare event, not a document', { token: acme.token, body: objectEvent({ epcs: ['hdl:88.118.8/X'] }) }, 400],
      ['foreign commissioning', { token: acme.token, body: epcisDocument([objectEvent({ epcs: ['hdl:88.118.9/X'], action: 'ADD' })]) }, 403],
      ['a prefix that is not the enterprise’s', { token: acme.token, body: epcisDocument([objectEvent({ epcs: ['hdl:88.118.8/X'] })]) }, 403],
      ['malformed JSON', { token: acme.token, rawBody: '{"type": "EPCISDocument", ' }, 400],
      ['wrong content type', { token: acme.token, rawBody: 'type=EPCISDocument', headers: { 'content-type': 'text/plain' } }, 415],
    ];
    for (const [name, options, status] of cases) {
      const path = name.startsWith('a prefix') ? '/epcis/capture?prefix=88.118.9' : '/epcis/capture';
      const reply = await node.request('POST', path, options);
      expect({ name, status: reply.status }).toEqual({ name, status });
      expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    const invalidReply = await node.request('POST', '/epcis/capture', { token: acme.token, body: epcisDocument([invalid]) });
    expect(JSON.stringify(invalidReply.body.errors)).toMatch(/action/);
    expect(await countRows(node, 'SELECT 1 FROM epcis_events')).toBe(before);
    expect(await countRows(node, 'SELECT 1 FROM epcis_capture_jobs WHERE status <> $1', ['succeeded'])).toBe(0);
  });

  it('shows a job only to its enterprise and operators', async () => {
    const reply = await node.request('POST', '/epcis/capture', { token: acme.token, body: epcisDocument([objectEvent({ epcs: ['hdl:88.118.8/CAP-2'] })]) });
    const other = await node.approvedEnterprise('88.118.10', 'initech');
    expect((await node.request('GET', `/epcis/capture/${reply.body.captureID}`, { token: other.token })).status).toBe(404);
    expect((await node.request('GET', `/epcis/capture/${randomUUID()}`, { token: acme.token })).status).toBe(404);
    expect((await node.request('GET', '/epcis/capture/not-a-uuid', { token: acme.token })).status).toBe(404);
    expect((await node.request('GET', `/epcis/capture/${reply.body.captureID}`)).status).toBe(401);
  });
});

describe('EPCIS ingestion through the embedded aedes broker (MQTT 3.1.1, plain subscription)', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;
  let publisher: MqttClient | undefined;

  beforeAll(async () => {
    node = await TestNode.start({ MQTT_EMBEDDED: 'true', MQTT_PORT: '0' });
    acme = await node.approvedEnterprise('88.118.8', 'acme');
  });

  afterAll(async () => {
    await endClient(publisher);
    await node?.stop();
  });

  it('consumes from the in-process broker and stores once', async () => {
    const status = await waitFor('the consumer', async () => {
      const s = await ingestionStatus(node);
      return s.consumer?.connections.subscribed === 1 ? s : undefined;
    });
    expect(status.consumer).toMatchObject({ protocolVersion: 4, subscription: 'idis/v1/+/events', embeddedBroker: true, connections: { total: 1 } });
    expect(status.consumerLag).toBeNull();
    expect(status.consumerLagNote).toMatch(/does not publish/);
    // The embedded broker admits only credentials the node issued.
    const credential = await createCredential(node, acme);
    publisher = await testClient({ protocolVersion: 4, username: credential.username, password: credential.password }, undefined, status.consumer.brokerUrl);
    const event = objectEvent({ epcs: ['hdl:88.118.8/AEDES-1'] });
    for (let i = 0; i < 3; i += 1) await publish(publisher, 'idis/v1/88.118.8/events', JSON.stringify(event));
    await waitFor('stored with two duplicates', async () => (await ingestionStatus(node)).duplicatesTotal === 2);
    expect(await countRows(node, 'SELECT 1 FROM epcis_events WHERE event_id = $1', [event.eventID])).toBe(1);
    const after = await ingestionStatus(node);
    expect(after).toMatchObject({ storedTotal: 1, receivedSinceStart: 3, acknowledgedSinceStart: 3, inFlight: 0 });
  });
});
