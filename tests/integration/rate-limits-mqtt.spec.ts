import type { MqttClient } from 'mqtt';
import { parsePrometheus } from '../support/prometheus';
import { TestNode } from '../support/test-node';
import { waitFor } from '../support/wait-for';
import { consumerReady, countRows, endClient, epcisDocument, ingestionEnv, objectEvent, publish, testClient } from './ingestion-harness';

/**
 * MQTT messages per enterprise prefix (family mqtt) through the real Mosquitto: a message over the
 * limit is not lost and not silently dropped — it is stored as a reject with reason rate_limited
 * (payload kept), announced on {root}/{prefix}/rejects, and acknowledged like every other reject.
 */
describe('MQTT ingestion under a rate limit', () => {
  const env = ingestionEnv('rl', {
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: `it-rl-mqtt-${Date.now()}:`,
    RATE_LIMITS_ENABLED: 'true',
    RATE_LIMIT_MQTT: '2/1m',
    RATE_LIMIT_LOGIN_USERNAME: 'off',
    RATE_LIMIT_LOGIN_IP: 'off',
  });
  const root = env.MQTT_TOPIC_ROOT;
  let node: TestNode;
  let publisher: MqttClient;
  let watcher: MqttClient;
  const notices: Array<{ topic: string; body: any }> = [];

  beforeAll(async () => {
    node = await TestNode.start(env);
    await node.approvedEnterprise('88.118.8', 'acme');
    await node.approvedEnterprise('88.118.9', 'globex');
    await consumerReady(node);
    publisher = await testClient();
    watcher = await testClient();
    watcher.on('message', (topic, payload) => notices.push({ topic, body: JSON.parse(payload.toString()) }));
    await new Promise<void>((resolve, reject) => watcher.subscribe(`${root}/+/rejects`, { qos: 1 }, (error) => (error ? reject(error) : resolve())));
  });

  afterAll(async () => {
    await endClient(publisher);
    await endClient(watcher);
    await node?.stop();
  });

  it('stores two messages of a prefix, rejects the third with reason rate_limited (kept, announced), and leaves another prefix alone', async () => {
    const events = [0, 1, 2].map((i) => objectEvent({ epcs: [`hdl:88.118.8/RL-${i}`] }));
    for (const event of events) await publish(publisher, `${root}/88.118.8/events`, JSON.stringify(epcisDocument([event])));
    const other = objectEvent({ epcs: ['hdl:88.118.9/RL-X'] });
    await publish(publisher, `${root}/88.118.9/events`, JSON.stringify(epcisDocument([other])));

    await waitFor('2 events stored and 1 reject for 88.118.8', async () => {
      const stored = await countRows(node, `SELECT 1 FROM epcis_events WHERE enterprise_prefix = '88.118.8'`);
      const rejected = await countRows(node, `SELECT 1 FROM epcis_rejects WHERE enterprise_prefix = '88.118.8'`);
      return stored === 2 && rejected === 1;
    });
    const reject = (await node.db.client.query(`SELECT reason, topic, payload, problems FROM epcis_rejects WHERE enterprise_prefix = '88.118.8'`)).rows[0];
    expect(reject.reason).toBe('rate_limited');
    expect(reject.topic).toBe(`${root}/88.118.8/events`);
    expect(reject.problems).toEqual([{ path: '', message: expect.stringMatching(/too many MQTT messages for this enterprise prefix: the limit is 2 per minute/) }]);
    // The payload is kept: the one event of the three that was not stored is in it.
    const storedIds = (await node.db.client.query(`SELECT event_id FROM epcis_events WHERE enterprise_prefix = '88.118.8'`)).rows.map((r) => r.event_id);
    const missing = events.filter((event) => !storedIds.includes(event.eventID));
    expect(missing).toHaveLength(1);
    expect(JSON.parse(reject.payload).epcisBody.eventList[0].eventID).toBe(missing[0].eventID);

    await waitFor('the reject notice', () => notices.find((n) => n.topic === `${root}/88.118.8/rejects`));
    expect(notices.find((n) => n.topic === `${root}/88.118.8/rejects`)?.body).toMatchObject({ reason: 'rate_limited' });
    await waitFor('the other prefix’s event stored', async () => (await countRows(node, `SELECT 1 FROM epcis_events WHERE enterprise_prefix = '88.118.9'`)) === 1);

    const metrics = parsePrometheus((await node.request('GET', '/metrics')).text).samples;
    expect(metrics.get('idis_rate_limit_refusals_total{family="mqtt"}')).toBe(1);
  });
});
