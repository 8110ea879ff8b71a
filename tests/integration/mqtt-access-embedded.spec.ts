import { loadSimConfig } from '../../apps/enterprise-sim/src/config';
import { runSimulation } from '../../apps/enterprise-sim/src/simulator';
import { OPERATOR_PASSWORD, TestNode } from '../support/test-node';
import { waitFor } from '../support/wait-for';
import { ingestionStatus } from './ingestion-harness';
import { brokerAccessCases, type BrokerUnderTest } from './mqtt-access-harness';

/** MQTT credentials enforced by the embedded aedes broker's authenticate/authorise hooks (MQTT 3.1.1). */
describe('MQTT access on the embedded broker', () => {
  let setup: BrokerUnderTest;

  beforeAll(async () => {
    const node = await TestNode.start({ MQTT_EMBEDDED: 'true', MQTT_PORT: '0' });
    const status = await waitFor('the consumer to subscribe with the node\'s own identity', async () => {
      const s = await ingestionStatus(node);
      return s.consumer?.connections.subscribed === 1 ? s : undefined;
    });
    setup = {
      node,
      url: status.consumer.brokerUrl,
      protocolVersion: 4,
      operatorToken: await node.operatorToken(),
      entA: await node.approvedEnterprise('88.118.50', 'emb-ent-a'),
      entB: await node.approvedEnterprise('88.118.51', 'emb-ent-b'),
      entC: await node.approvedEnterprise('88.118.52', 'emb-ent-c'),
    };
  });

  afterAll(async () => {
    await setup?.node.stop();
  });

  brokerAccessCases(() => setup);

  it('lets the enterprise simulator publish with the credentials it obtains from the node, and revokes them after its run', async () => {
    const { node, url } = setup;
    const report = await runSimulation(
      loadSimConfig({
        SIM_NODE_URL: node.baseUrl,
        SIM_OPERATOR_PASSWORD: OPERATOR_PASSWORD,
        MQTT_URL: url,
        SIM_MQTT_PROTOCOL: '4',
        SIM_PREFIX_BASE: '9801',
        SIM_MAX_EVENTS: '120',
        SIM_EVENTS_PER_MESSAGE: '3',
        SIM_RATE: '0',
        SIM_REGISTER: 'false',
        SIM_START_TIME: '2025-03-01T00:00:00+08:00',
      }),
    );
    expect(report.publish).toMatchObject({ eventsAcked: 120, messagesFailed: 0, unacknowledged: 0, protocolVersion: 4 });
    const prefixes = report.enterprises.map((e) => e.prefix.toLowerCase());
    const stored = async () => new Set((await node.db.client.query<{ event_id: string }>('SELECT event_id FROM epcis_events WHERE enterprise_prefix = ANY($1)', [prefixes])).rows.map((r) => r.event_id));
    await waitFor('the simulated events stored', async () => (await stored()).size >= 120, { timeoutMs: 30_000 });
    expect(await stored()).toEqual(new Set(report.publish.expectedEventIds));
    const credentials = await node.db.client.query<{ label: string; revoke_reason: string | null }>(
      `SELECT c.label, c.revoke_reason FROM mqtt_credentials c JOIN enterprise_prefixes p ON p.enterprise_id = c.enterprise_id WHERE p.prefix_key = ANY($1)`,
      [prefixes],
    );
    expect(credentials.rows).toHaveLength(report.enterprises.length);
    expect(credentials.rows.every((row) => row.label === 'enterprise-simulator' && row.revoke_reason === 'revoked')).toBe(true);
  });
});
