import type { MqttClient } from 'mqtt';
import { Client } from 'pg';
import { IngestionRuntime } from '../../apps/secondary-node/src/traceability/ingestion/ingestion-runtime';
import { parsePrometheus } from '../support/prometheus';
import { TEST_PG_ADMIN_URL } from '../support/test-database';
import { TestNode } from '../support/test-node';
import { waitFor } from '../support/wait-for';
import { consumerReady, countRows, endClient, ingestionEnv, objectEvent, publish, testClient } from './ingestion-harness';

/**
 * At-least-once: the PUBACK goes out only after the batch committed. Proven from the broker's side:
 * a message whose commit was held back when the consumer vanished is still in the persistent
 * session and is redelivered to the same client id; one committed before is not.
 */
describe.each(['deferred', 'handle-message'])('EPCIS ingestion: acknowledgement after commit (MQTT_ACK_MODE=%s)', (ackMode) => {
  let node: TestNode;
  let publisher: MqttClient;
  let env: ReturnType<typeof ingestionEnv>;

  const topic = () => `${env.MQTT_TOPIC_ROOT}/88.118.8/events`;
  const stored = (eventId: string) => countRows(node, 'SELECT 1 FROM epcis_events WHERE event_id = $1', [eventId]);
  const metric = async (name: string) => parsePrometheus((await node.request('GET', '/metrics')).text).samples.get(name);

  beforeEach(async () => {
    env = ingestionEnv('ack', { MQTT_ACK_MODE: ackMode, MQTT_CONNECTIONS: '1', INGEST_RETRY_BASE_MS: '50', INGEST_RETRY_MAX_MS: '200' });
    node = await TestNode.start(env);
    await node.approvedEnterprise('88.118.8', 'acme');
    await consumerReady(node);
    publisher = await testClient();
  });

  afterEach(async () => {
    await endClient(publisher);
    await node?.stop();
  });

  it('does not acknowledge a message whose batch has not committed: the broker redelivers it to the same session', async () => {
    const committed = objectEvent({ epcs: ['hdl:88.118.8/ACKED-1'] });
    await publish(publisher, topic(), JSON.stringify(committed));
    await waitFor('the first event stored and acknowledged', async () => (await stored(committed.eventID as string)) === 1 && (await metric('idis_ingestion_messages_acknowledged_total')) === 1);

    // Hold every insert into epcis_events behind a lock, then deliver a second message.
    const locker = new Client({ connectionString: node.db.url });
    await locker.connect();
    let consumerSession: MqttClient | undefined;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE epcis_events IN EXCLUSIVE MODE');
      const held = objectEvent({ epcs: ['hdl:88.118.8/HELD-1'] });
      await publish(publisher, topic(), JSON.stringify(held));
      await waitFor('the held message in flight', async () => (await metric('idis_ingestion_in_flight_messages')) === 1);

      // The consumer process "dies" while its commit waits: its MQTT connection drops.
      const server = node.app.get(IngestionRuntime).transport();
      await Promise.all((server?.unwrap<MqttClient[]>() ?? []).map((client) => new Promise((resolve) => client.end(true, {}, resolve))));
      await locker.query('ROLLBACK');
      // The commit completes after the connection is gone: stored, but never acknowledged.
      await waitFor('the held event stored', async () => (await stored(held.eventID as string)) === 1);
      expect(await metric('idis_ingestion_messages_acknowledged_total')).toBe(1);

      // The broker still holds it for the session: the same client id gets it again, and only it.
      const redelivered: Array<{ payload: string; dup: boolean }> = [];
      consumerSession = await testClient({ clientId: `${env.MQTT_CLIENT_ID}-0`, clean: false, properties: { sessionExpiryInterval: 60 } }, (_topic, payload, packet) =>
        redelivered.push({ payload: payload.toString(), dup: packet.dup }),
      );
      await waitFor('the redelivery', () => redelivered.length > 0);
      expect(JSON.parse(redelivered[0].payload).eventID).toBe(held.eventID);
      expect(redelivered.some((m) => JSON.parse(m.payload).eventID === committed.eventID)).toBe(false);
    } finally {
      await locker.end().catch(() => undefined);
      await endClient(consumerSession);
    }
  });

  it('acknowledges nothing while PostgreSQL refuses connections, retries, and stores everything once it is back', async () => {
    const events = Array.from({ length: 5 }, (_, i) => objectEvent({ epcs: [`hdl:88.118.8/OUTAGE-${i}`] }));
    const admin = new Client({ connectionString: TEST_PG_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${node.db.name} ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> $2`, [node.db.name, (node.db.client as any).processID]);
      for (const event of events) await publish(publisher, topic(), JSON.stringify(event));
      await waitFor('commit retries', async () => ((await metric('idis_ingestion_commit_retries_total')) ?? 0) >= 2);
      expect(await metric('idis_ingestion_messages_acknowledged_total')).toBe(0);
      expect(await metric('idis_ingestion_in_flight_messages')).toBeGreaterThanOrEqual(1);
    } finally {
      await admin.query(`ALTER DATABASE ${node.db.name} ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    await waitFor('all stored after the outage', async () => (await countRows(node, `SELECT 1 FROM epcis_events WHERE event_id = ANY($1)`, [events.map((e) => e.eventID)])) === 5, { timeoutMs: 30_000 });
    await waitFor('all acknowledged', async () => (await metric('idis_ingestion_messages_acknowledged_total')) === 5);
    expect(await metric('idis_ingestion_in_flight_messages')).toBe(0);
  });
});
