import type { MqttClient } from 'mqtt';
import { parsePrometheus } from '../support/prometheus';
import { type EnterpriseFixture, TestNode } from '../support/test-node';
import { waitFor } from '../support/wait-for';
import {
  consumerReady,
  countRows,
  endClient,
  epcisDocument,
  ingestionEnv,
  ingestionStatus,
  objectEvent,
  publish,
  testClient,
} from './ingestion-harness';

/** The MQTT consumer against the real Mosquitto and PostgreSQL: stored, deduplicated, rejected. */
describe('EPCIS ingestion over MQTT (Mosquitto, MQTT 5, shared subscription)', () => {
  const env = ingestionEnv('mqtt');
  const root = env.MQTT_TOPIC_ROOT;
  let node: TestNode;
  let publisher: MqttClient;
  let watcher: MqttClient;
  let acme: EnterpriseFixture;
  const rejectNotices: Array<{ topic: string; body: any }> = [];

  const eventsTopic = (prefix: string) => `${root}/${prefix}/events`;
  const stored = (eventId: string) => countRows(node, 'SELECT 1 FROM epcis_events WHERE event_id = $1', [eventId]);

  beforeAll(async () => {
    node = await TestNode.start(env);
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    await node.approvedEnterprise('88.118.9', 'globex');
    await consumerReady(node);
    publisher = await testClient();
    watcher = await testClient();
    watcher.on('message', (topic, payload) => rejectNotices.push({ topic, body: JSON.parse(payload.toString()) }));
    await new Promise<void>((resolve, reject) => watcher.subscribe(`${root}/+/rejects`, { qos: 1 }, (error) => (error ? reject(error) : resolve())));
  });

  afterAll(async () => {
    await endClient(publisher);
    await endClient(watcher);
    await node?.stop();
  });

  it('stores a document’s events with their identifier edges, and they are queryable', async () => {
    const shipping = objectEvent({ epcs: ['hdl:88.118.8/BOX-1', 'urn:epc:id:sgtin:0614141.107346.2018'], bizStep: 'shipping' });
    const packing = {
      type: 'AggregationEvent',
      eventID: 'urn:uuid:6b1f0c2e-6a43-4d0b-9a53-0f3f8a7c2d11',
      eventTime: '2025-01-15T08:05:00.000+08:00',
      eventTimeZoneOffset: '+08:00',
      parentID: 'hdl:88.118.8/PALLET-1',
      childEPCs: ['hdl:88.118.8/BOX-1', 'hdl:88.118.8/BOX-2'],
      action: 'ADD',
      bizStep: 'packing',
    };
    const making = {
      type: 'TransformationEvent',
      eventID: 'urn:uuid:7c2a1d3e-6a43-4d0b-9a53-0f3f8a7c2d12',
      eventTime: '2025-01-15T07:00:00.000+08:00',
      eventTimeZoneOffset: '+08:00',
      inputEPCList: ['hdl:88.118.8/STEEL-7'],
      outputEPCList: ['hdl:88.118.8/BOX-1', 'hdl:88.118.8/BOX-2'],
      bizStep: 'commissioning',
    };
    await publish(publisher, eventsTopic('88.118.8'), JSON.stringify(epcisDocument([shipping, packing, making])));

    await waitFor('3 events stored', async () => (await countRows(node, `SELECT 1 FROM epcis_events WHERE enterprise_prefix = '88.118.8'`)) === 3);
    const row = await node.db.client.query(`SELECT * FROM epcis_events WHERE event_id = $1`, [shipping.eventID]);
    expect(row.rows[0]).toMatchObject({ event_type: 'ObjectEvent', enterprise_prefix: '88.118.8', biz_step: 'shipping', source: 'mqtt', event_time_zone_offset: '+08:00', error_declared_at: null });
    expect(row.rows[0].document.epcList).toEqual(shipping.epcList);
    expect(row.rows[0].hash_id).toMatch(/^ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0$/);

    const edges = await node.db.client.query(`SELECT identifier, role FROM epcis_event_identifiers WHERE event_id = $1 ORDER BY identifier`, [shipping.eventID]);
    expect(edges.rows).toEqual([
      { identifier: 'hdl:88.118.8/BOX-1', role: 'epc' },
      { identifier: 'urn:epc:id:sgtin:0614141.107346.2018', role: 'epc' },
    ]);
    const containment = await node.db.client.query(`SELECT parent, child, action FROM epcis_containment WHERE event_id = $1 ORDER BY child`, [packing.eventID]);
    expect(containment.rows).toEqual([
      { parent: 'hdl:88.118.8/PALLET-1', child: 'hdl:88.118.8/BOX-1', action: 'ADD' },
      { parent: 'hdl:88.118.8/PALLET-1', child: 'hdl:88.118.8/BOX-2', action: 'ADD' },
    ]);
    const derivations = await node.db.client.query(`SELECT input, output FROM epcis_derivations WHERE event_id = $1 ORDER BY output`, [making.eventID]);
    expect(derivations.rows).toEqual([
      { input: 'hdl:88.118.8/STEEL-7', output: 'hdl:88.118.8/BOX-1' },
      { input: 'hdl:88.118.8/STEEL-7', output: 'hdl:88.118.8/BOX-2' },
    ]);
    // Queryable through the identifier index: every event that mentions BOX-1.
    expect(await countRows(node, `SELECT DISTINCT event_id FROM epcis_event_identifiers WHERE identifier = 'hdl:88.118.8/BOX-1'`)).toBe(3);
  });

  it('stores a redelivered event once (same eventID) and counts the duplicate', async () => {
    const event = objectEvent({ epcs: ['hdl:88.118.8/DUP-1'] });
    const before = await ingestionStatus(node);
    await publish(publisher, eventsTopic('88.118.8'), JSON.stringify(event));
    await publish(publisher, eventsTopic('88.118.8'), JSON.stringify(epcisDocument([event])));
    await waitFor('the duplicate to be counted', async () => (await ingestionStatus(node)).duplicatesTotal === before.duplicatesTotal + 1);
    expect(await stored(event.eventID as string)).toBe(1);
    expect((await ingestionStatus(node)).storedTotal).toBe(before.storedTotal + 1);
  });

  it('gives an event without eventID its CBV 2.0 hash ID, so the same content is stored once', async () => {
    const event = objectEvent({ epcs: ['hdl:88.118.8/HASH-1'], eventID: null, eventTime: '2025-02-01T10:00:00.000+08:00' });
    // Same content, other key order and an equivalent time spelling: the same hash.
    const reordered = { action: 'OBSERVE', epcList: ['hdl:88.118.8/HASH-1'], eventTimeZoneOffset: '+08:00', eventTime: '2025-02-01T02:00:00Z', type: 'ObjectEvent' };
    const before = await ingestionStatus(node);
    await publish(publisher, eventsTopic('88.118.8'), JSON.stringify(event));
    await publish(publisher, eventsTopic('88.118.8'), JSON.stringify(reordered));
    await waitFor('both handled', async () => (await ingestionStatus(node)).duplicatesTotal === before.duplicatesTotal + 1);
    const rows = await node.db.client.query(`SELECT event_id, hash_id, document FROM epcis_events e WHERE EXISTS (SELECT 1 FROM epcis_event_identifiers i WHERE i.event_id = e.event_id AND i.identifier = 'hdl:88.118.8/HASH-1')`);
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0].event_id).toBe(rows.rows[0].hash_id);
    expect(rows.rows[0].event_id).toMatch(/^ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0$/);
    expect(rows.rows[0].document.eventID).toBe(rows.rows[0].event_id);
  });

  it('marks the original when an error declaration arrives, instead of storing a second event', async () => {
    const original = objectEvent({ epcs: ['hdl:88.118.8/ERR-1'], bizStep: 'shipping' });
    await publish(publisher, eventsTopic('88.118.8'), JSON.stringify(original));
    await waitFor('the original', async () => (await stored(original.eventID as string)) === 1);
    const corrective = `urn:uuid:${'a'.repeat(8)}-0000-4000-8000-000000000001`;
    const declaration = { ...original, errorDeclaration: { declarationTime: '2025-01-16T09:00:00.000+08:00', reason: 'incorrect_data', correctiveEventIDs: [corrective] } };
    const before = await ingestionStatus(node);
    await publish(publisher, eventsTopic('88.118.8'), JSON.stringify(declaration));
    const row = await waitFor('the original to be marked', async () => {
      const result = await node.db.client.query(`SELECT * FROM epcis_events WHERE event_id = $1 AND error_declared_at IS NOT NULL`, [original.eventID]);
      return result.rows[0];
    });
    expect(row.error_reason).toBe('incorrect_data');
    expect(row.corrective_event_ids).toEqual([corrective]);
    expect(new Date(row.error_declared_at).toISOString()).toBe('2025-01-16T01:00:00.000Z');
    expect(row.document.errorDeclaration).toMatchObject({ reason: 'incorrect_data' });
    expect(await stored(original.eventID as string)).toBe(1);
    const after = await ingestionStatus(node);
    expect(after.errorDeclarationsTotal).toBe(before.errorDeclarationsTotal + 1);
    expect(after.storedTotal).toBe(before.storedTotal);

    // The declaration redelivered: nothing changes, counted as a duplicate.
    await publish(publisher, eventsTopic('88.118.8'), JSON.stringify(declaration));
    await waitFor('the redelivered declaration', async () => (await ingestionStatus(node)).duplicatesTotal === after.duplicatesTotal + 1);
    expect((await ingestionStatus(node)).errorDeclarationsTotal).toBe(after.errorDeclarationsTotal);
  });

  it('stores a declaration whose original has not arrived, and the late original is then a duplicate', async () => {
    const original = objectEvent({ epcs: ['hdl:88.118.8/LATE-1'] });
    const declaration = { ...original, errorDeclaration: { declarationTime: '2025-01-16T09:00:00.000+08:00', reason: 'did_not_occur' } };
    await publish(publisher, eventsTopic('88.118.8'), JSON.stringify(declaration));
    const row = await waitFor('the declaration stored', async () => (await node.db.client.query(`SELECT * FROM epcis_events WHERE event_id = $1`, [original.eventID])).rows[0]);
    expect(row.error_reason).toBe('did_not_occur');
    const before = await ingestionStatus(node);
    await publish(publisher, eventsTopic('88.118.8'), JSON.stringify(original));
    await waitFor('the late original', async () => (await ingestionStatus(node)).duplicatesTotal === before.duplicatesTotal + 1);
    const again = (await node.db.client.query(`SELECT error_reason FROM epcis_events WHERE event_id = $1`, [original.eventID])).rows;
    expect(again).toEqual([{ error_reason: 'did_not_occur' }]);
  });

  describe('rejects: stored with the reason, announced on the rejects topic, acknowledged', () => {
    async function expectRejected(topic: string, payload: string | Buffer, reason: string, noticePrefix: string | null) {
      const before = await ingestionStatus(node);
      const rejectsBefore = await countRows(node, 'SELECT 1 FROM epcis_rejects');
      const noticesBefore = rejectNotices.length;
      await publish(publisher, topic, payload);
      await waitFor(`a ${reason} reject`, async () => (await ingestionStatus(node)).rejectedTotal === before.rejectedTotal + 1);
      const rows = await node.db.client.query(`SELECT * FROM epcis_rejects ORDER BY id DESC LIMIT 1`);
      expect(rows.rows[0]).toMatchObject({ reason, source: 'mqtt', topic });
      expect(rows.rows[0].problems.length).toBeGreaterThan(0);
      expect(await countRows(node, 'SELECT 1 FROM epcis_rejects')).toBe(rejectsBefore + 1);
      // Acknowledged: the node's count of acknowledged messages moves with it.
      await waitFor('the reject to be acknowledged', async () => (await ingestionStatus(node)).acknowledgedSinceStart === before.acknowledgedSinceStart + 1);
      if (noticePrefix !== null) {
        const notice = await waitFor('the reject notice', () => rejectNotices.slice(noticesBefore).find((n) => n.topic === `${root}/${noticePrefix}/rejects`));
        expect(notice.body).toMatchObject({ reason });
        expect(notice.body.problems.length).toBeGreaterThan(0);
        expect(new Date(notice.body.receivedAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
      }
      return rows.rows[0];
    }

    it('rejects a prefix that is not active on this node', async () => {
      const row = await expectRejected(eventsTopic('88.118.77'), JSON.stringify(objectEvent({ epcs: ['hdl:88.118.77/X'] })), 'prefix_not_active', '88.118.77');
      expect(row.enterprise_prefix).toBe('88.118.77');
      expect(await countRows(node, `SELECT 1 FROM epcis_events WHERE enterprise_prefix = '88.118.77'`)).toBe(0);
    });

    it('rejects a topic whose prefix segment is not a prefix', async () => {
      await expectRejected(eventsTopic('not a prefix!'), JSON.stringify(objectEvent({ epcs: ['hdl:88.118.8/X'] })), 'invalid_topic', null);
    });

    it('rejects commissioning of handles under another enterprise’s prefix, as a whole document', async () => {
      const own = objectEvent({ epcs: ['hdl:88.118.8/OWN-1'], action: 'ADD', bizStep: 'commissioning' });
      const foreign = objectEvent({ epcs: ['hdl:88.118.9/THEIRS-1'], action: 'ADD', bizStep: 'commissioning' });
      const row = await expectRejected(eventsTopic('88.118.8'), JSON.stringify(epcisDocument([own, foreign])), 'foreign_commissioning', '88.118.8');
      expect(JSON.stringify(row.problems)).toContain('88.118.9/THEIRS-1');
      expect(await stored(own.eventID as string)).toBe(0);
      // The owner itself may commission under its own prefix.
      await publish(publisher, eventsTopic('88.118.9'), JSON.stringify(foreign));
      await waitFor('globex commissioning its own', async () => (await stored(foreign.eventID as string)) === 1);
    });

    it('rejects invalid EPCIS (missing action) with the problems listed', async () => {
      const bad = objectEvent({ epcs: ['hdl:88.118.8/BAD-1'] });
      delete bad.action;
      const row = await expectRejected(eventsTopic('88.118.8'), JSON.stringify(bad), 'invalid_payload', '88.118.8');
      expect(JSON.stringify(row.problems)).toMatch(/action/);
    });

    it('survives poison: not JSON, invalid UTF-8, an oversized payload, and keeps consuming', async () => {
      await expectRejected(eventsTopic('88.118.8'), '{"type": "ObjectEvent", ', 'invalid_payload', '88.118.8');
      await expectRejected(eventsTopic('88.118.8'), Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'invalid_payload', '88.118.8');
      // A raw NUL byte (not JSON): the reject keeps the payload and problems with U+FFFD in its place (found by the fuzzer: it was dropped).
      const nul = await expectRejected(eventsTopic('88.118.8'), Buffer.from([0x00, 0x3d, 0x6b, 0x56]), 'invalid_payload', '88.118.8');
      expect(nul.payload).toBe('\ufffd=kV');
      // Not JSON, starting with an astral character: the parser's message quotes half of it (a lone surrogate, which jsonb refuses).
      const astral = await expectRejected(eventsTopic('88.118.8'), '😀 not json', 'invalid_payload', '88.118.8');
      expect(astral.payload).toBe('😀 not json');
      const row = await expectRejected(eventsTopic('88.118.8'), Buffer.alloc(1024 * 1024 + 10, 0x20), 'payload_too_large', '88.118.8');
      expect(row.payload.length).toBe(64 * 1024);
      const after = objectEvent({ epcs: ['hdl:88.118.8/AFTER-POISON'] });
      await publish(publisher, eventsTopic('88.118.8'), JSON.stringify(after));
      await waitFor('an event after the poison', async () => (await stored(after.eventID as string)) === 1);
    });

    it('isolates a message the database refuses from the good messages of its batch', async () => {
      // A NUL character is valid JSON but PostgreSQL's jsonb refuses it: the data error is found
      // by splitting the batch, that one message is rejected, the others are stored.
      const good = Array.from({ length: 6 }, (_, i) => objectEvent({ epcs: [`hdl:88.118.8/GOOD-${i}`] }));
      const poison = objectEvent({ epcs: ['hdl:88.118.8/NUL-1'], extra: { 'example:note': 'nul \u0000 here' } });
      const before = await ingestionStatus(node);
      await Promise.all([...good.slice(0, 3), poison, ...good.slice(3)].map((event) => publish(publisher, eventsTopic('88.118.8'), JSON.stringify(event))));
      await waitFor('all handled', async () => {
        const status = await ingestionStatus(node);
        return status.storedTotal === before.storedTotal + 6 && status.rejectedTotal === before.rejectedTotal + 1;
      });
      for (const event of good) expect(await stored(event.eventID as string)).toBe(1);
      expect(await stored(poison.eventID as string)).toBe(0);
      const reject = (await node.db.client.query(`SELECT reason, problems FROM epcis_rejects ORDER BY id DESC LIMIT 1`)).rows[0];
      expect(reject.reason).toBe('storage_error');
    });
  });

  it('reports its numbers on the status endpoint (operator only) and on /metrics', async () => {
    const status = await ingestionStatus(node);
    const totals = await node.db.client.query(`SELECT (SELECT count(*) FROM epcis_events)::int AS events, (SELECT count(*) FROM epcis_rejects)::int AS rejects`);
    expect(status).toMatchObject({
      enabled: true,
      storedTotal: totals.rows[0].events,
      rejectedTotal: totals.rows[0].rejects,
      inFlight: 0,
      consumer: {
        connected: true,
        protocolVersion: 5,
        subscription: `$share/${env.MQTT_SHARE_GROUP}/${root}/+/events`,
        brokerUrl: 'mqtt://127.0.0.1:1883',
        connections: { total: 4, connected: 4, subscribed: 4 },
      },
    });
    expect(status.receivedSinceStart).toBe(status.acknowledgedSinceStart);
    expect(status.duplicatesTotal).toBeGreaterThanOrEqual(4);
    expect(Date.parse(status.lastCommitAt)).toBeGreaterThan(Date.now() - 120_000);
    expect(status.consumerLag === null ? status.consumerLagNote : status.consumerLag.source).toMatch(/\$SYS/);

    expect((await node.request('GET', '/api/v1/ingestion/status')).status).toBe(401);
    expect((await node.request('GET', '/api/v1/ingestion/status', { token: acme.token })).status).toBe(403);

    const { samples } = parsePrometheus((await node.request('GET', '/metrics')).text);
    expect(samples.get('idis_ingestion_messages_received_total')).toBe(status.receivedSinceStart);
    expect(samples.get('idis_ingestion_messages_acknowledged_total')).toBe(status.acknowledgedSinceStart);
    expect(samples.get('idis_ingestion_in_flight_messages')).toBe(0);
    expect(samples.get('idis_ingestion_consumer_connected')).toBe(4);
    expect(samples.get('idis_ingestion_rejects_total{reason="prefix_not_active"}')).toBe(1);
  });
});
