import { randomBytes } from 'node:crypto';
import { loadSimConfig } from '../../apps/enterprise-sim/src/config';
import { EnterpriseSetupError, SIM_TEMPLATE_VERSION, simUsername } from '../../apps/enterprise-sim/src/enterprises';
import { flowIdentifiers, simEnterprises } from '../../apps/enterprise-sim/src/flow';
import { NodeApiError, NodeClient } from '../../apps/enterprise-sim/src/node-client';
import { PublishError, publishMessages } from '../../apps/enterprise-sim/src/publisher';
import { publishSimulatedEvents, runSimulation, type SimulationReport } from '../../apps/enterprise-sim/src/simulator';
import { OPERATOR_PASSWORD, TestNode } from '../support/test-node';
import { waitFor } from '../support/wait-for';
import { consumerReady, countRows, ingestionEnv, ingestionStatus, MOSQUITTO_URL } from './ingestion-harness';

/**
 * The enterprise simulator against a real node (TestNode) and the real Mosquitto: it creates and
 * approves its enterprises, defines their templates, registers their identifiers through the SNMS
 * batch API, and publishes its event flow at QoS 1; the node's MQTT ingestion stores every
 * acknowledged event exactly once.
 */
describe('enterprise simulator against a node', () => {
  let node: TestNode;
  let env: ReturnType<typeof ingestionEnv>;
  const START = '2025-02-01T00:00:00+08:00';

  beforeAll(async () => {
    env = ingestionEnv('sim');
    node = await TestNode.start(env);
    await consumerReady(node);
  });
  afterAll(async () => {
    await node?.stop();
  });

  function simEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      SIM_NODE_URL: node.baseUrl,
      SIM_OPERATOR_PASSWORD: OPERATOR_PASSWORD,
      MQTT_URL: MOSQUITTO_URL,
      MQTT_TOPIC_ROOT: env.MQTT_TOPIC_ROOT,
      SIM_CLIENT_ID: `it-sim-${randomBytes(5).toString('hex')}`,
      SIM_START_TIME: START,
      SIM_RATE: '0',
      SIM_MAX_DURATION_SECONDS: '60',
      SIM_REGISTER_BATCH: '100',
      ...extra,
    };
  }

  async function storedIds(prefixes: string[]): Promise<Set<string>> {
    const rows = await node.db.client.query<{ event_id: string }>('SELECT event_id FROM epcis_events WHERE enterprise_prefix = ANY($1)', [prefixes.map((p) => p.toLowerCase())]);
    return new Set(rows.rows.map((r) => r.event_id));
  }

  const prefixesOf = (report: SimulationReport) => report.enterprises.map((e) => e.prefix);

  describe('a first run and an identical re-run', () => {
    let first: SimulationReport;
    const config = () => loadSimConfig(simEnv({ SIM_PREFIX_BASE: '9101', SIM_MAX_EVENTS: '600', SIM_SEED: 'first', SIM_EVENTS_PER_MESSAGE: '3' }));

    beforeAll(async () => {
      first = await runSimulation(config());
    });

    it('creates and approves one enterprise per planned place in the chain, each with an active prefix and an account', async () => {
      expect(first.enterprises.map((e) => [e.tier, e.prefix, e.setup])).toEqual([
        ['supplier', '88.118.9101', 'created'],
        ['manufacturer', '88.118.9102', 'created'],
        ['distributor', '88.118.9103', 'created'],
        ['retailer', '88.118.9104', 'created'],
        ['retailer', '88.118.9105', 'created'],
      ]);
      const rows = await node.db.client.query("SELECT requested_prefix, status FROM enterprise_applications WHERE requested_prefix LIKE '88.118.91%' ORDER BY requested_prefix");
      expect(rows.rows).toEqual(prefixesOf(first).map((p) => ({ requested_prefix: p, status: 'active' })));
      expect(await countRows(node, 'SELECT 1 FROM accounts WHERE username = ANY($1)', [prefixesOf(first).map(simUsername)])).toBe(5);
    });

    it('registers every identifier of the flow through the SNMS batch API under its template', async () => {
      const opts = config();
      const planned = flowIdentifiers({ seed: opts.seed, enterprises: simEnterprises('88.118', 9101, opts.counts), startTime: opts.startTime, maxEvents: 600 });
      for (const entry of first.enterprises) {
        const expected = planned.get(entry.prefix) ?? [];
        expect(expected.length).toBeGreaterThanOrEqual(4); // at least its organisation, site and read points
        expect(entry.template).toBe('created');
        expect(entry.registration).toMatchObject({ created: expected.length, existing: 0, failed: 0, batches: Math.ceil(expected.length / 100) });
        expect(await countRows(node, 'SELECT 1 FROM identifiers WHERE prefix_key = $1 AND template_version = $2', [entry.prefix, SIM_TEMPLATE_VERSION])).toBe(expected.length);
      }
      const product = planned.get('88.118.9102')?.find((i) => i.kind === 'product');
      const detail = await node.request('GET', `/identityv2/data/detail?handle=${encodeURIComponent(product?.handle as string)}`, { token: await node.operatorToken() });
      expect(detail.status).toBe(200);
      const values = detail.body.data.value as Array<{ index: number; type: string; data: { value: string } }>;
      expect(values.find((v) => v.index === 2000)?.data.value).toBe(product?.name);
      expect(values.find((v) => v.index === 2001)?.data.value).toBe('product');
    });

    it('publishes every event with a PUBACK, and the node stores exactly the expected ids', async () => {
      const p = first.publish;
      expect(p).toMatchObject({ stoppedBy: 'exhausted', eventsAcked: 600, messagesFailed: 0, unacknowledged: 0, duplicatesAcked: 0, invalidAcked: 0, protocolVersion: 5 });
      expect(new Set(p.expectedEventIds).size).toBe(600);
      const prefixes = prefixesOf(first);
      await waitFor('600 stored events', async () => (await storedIds(prefixes)).size >= 600, { timeoutMs: 30_000 });
      expect(await storedIds(prefixes)).toEqual(new Set(p.expectedEventIds));
      expect((await ingestionStatus(node)).storedTotal).toBeGreaterThanOrEqual(600);
      // genealogy material for trace queries: transformations and packing were stored as edges
      expect(await countRows(node, 'SELECT 1 FROM epcis_derivations d JOIN epcis_events e USING (event_id) WHERE e.enterprise_prefix = $1', ['88.118.9102'])).toBeGreaterThan(0);
      expect(await countRows(node, 'SELECT 1 FROM epcis_containment c JOIN epcis_events e USING (event_id) WHERE e.enterprise_prefix = $1', ['88.118.9102'])).toBeGreaterThan(0);
      expect(await countRows(node, 'SELECT 1 FROM epcis_rejects WHERE enterprise_prefix = ANY($1)', [prefixes])).toBe(0);
    });

    it('a re-run reuses the accounts, templates and identifiers, and its events are stored once', async () => {
      const duplicatesBefore = (await ingestionStatus(node)).duplicatesTotal;
      const again = await runSimulation(config());
      expect(again.enterprises.map((e) => e.setup)).toEqual(['reused', 'reused', 'reused', 'reused', 'reused']);
      for (const [i, entry] of again.enterprises.entries()) {
        expect(entry.template).toBe('reused');
        expect(entry.registration).toMatchObject({ created: 0, existing: first.enterprises[i].registration?.created, failed: 0 });
      }
      expect(again.publish.expectedEventIds).toEqual(first.publish.expectedEventIds);
      await waitFor('600 duplicates counted', async () => (await ingestionStatus(node)).duplicatesTotal >= duplicatesBefore + 600, { timeoutMs: 30_000 });
      expect((await storedIds(prefixesOf(first))).size).toBe(600);
    });
  });

  it('mixes in broken messages and duplicates: the broken ones are rejected, the rest stored once', async () => {
    const report = await runSimulation(
      loadSimConfig(simEnv({ SIM_PREFIX_BASE: '9201', SIM_MAX_EVENTS: '400', SIM_SEED: 'noisy', SIM_INVALID_FRACTION: '0.2', SIM_DUPLICATE_FRACTION: '0.2', SIM_REGISTER: 'false', SIM_RETAILERS: '1' })),
    );
    const p = report.publish;
    expect(p).toMatchObject({ eventsAcked: 400, messagesFailed: 0, unacknowledged: 0 });
    expect(p.invalidAcked).toBeGreaterThan(20);
    expect(p.duplicatesAcked).toBeGreaterThan(20);
    const prefixes = prefixesOf(report);
    // the inactive-prefix kind lands on 88.118.99999999, which no enterprise holds
    const rejectPrefixes = [...prefixes, '88.118.99999999'];
    await waitFor('all broken messages rejected', async () => (await countRows(node, 'SELECT 1 FROM epcis_rejects WHERE enterprise_prefix = ANY($1)', [rejectPrefixes])) >= p.invalidAcked, { timeoutMs: 30_000 });
    await waitFor('400 stored events', async () => (await storedIds(prefixes)).size >= 400, { timeoutMs: 30_000 });
    expect(await storedIds(prefixes)).toEqual(new Set(p.expectedEventIds));
    expect(await countRows(node, 'SELECT 1 FROM epcis_rejects WHERE enterprise_prefix = ANY($1)', [rejectPrefixes])).toBe(p.invalidAcked);
    const reasons = await node.db.client.query<{ reason: string }>('SELECT DISTINCT reason FROM epcis_rejects WHERE enterprise_prefix = ANY($1) ORDER BY reason', [rejectPrefixes]);
    expect(reasons.rows.map((r) => r.reason)).toEqual(expect.arrayContaining(['foreign_commissioning', 'invalid_payload', 'prefix_not_active']));
  });

  it('the library call publishes N events for prefixes that already exist and returns the ids to expect', async () => {
    const enterprises = simEnterprises('88.118', 9301, { supplier: 1, manufacturer: 1, distributor: 1, retailer: 1 });
    for (const e of enterprises) await node.approvedEnterprise(e.prefix, `lib-${e.prefix.split('.').pop()}`);
    const result = await publishSimulatedEvents({
      mqttUrl: MOSQUITTO_URL,
      topicRoot: env.MQTT_TOPIC_ROOT,
      clientId: `it-sim-lib-${randomBytes(4).toString('hex')}`,
      seed: 99,
      enterprises,
      maxEvents: 250,
      ratePerSecond: 2000,
      inFlight: 16,
      maxEventsPerMessage: 5,
    });
    expect(result).toMatchObject({ eventsAcked: 250, messagesFailed: 0, unacknowledged: 0, stoppedBy: 'exhausted' });
    expect(result.expectedEventIds).toHaveLength(250);
    const prefixes = enterprises.map((e) => e.prefix);
    await waitFor('250 stored events', async () => (await storedIds(prefixes)).size >= 250, { timeoutMs: 30_000 });
    expect(await storedIds(prefixes)).toEqual(new Set(result.expectedEventIds));
  });

  it('stops at the time bound, at the configured rate', async () => {
    const enterprises = simEnterprises('88.118', 9401, { supplier: 1, manufacturer: 1, distributor: 1, retailer: 1 });
    const started = Date.now();
    const result = await publishSimulatedEvents({
      mqttUrl: MOSQUITTO_URL,
      topicRoot: `${env.MQTT_TOPIC_ROOT}-unheard`, // nobody consumes these
      seed: 5,
      enterprises,
      maxEvents: 100_000,
      ratePerSecond: 40,
      maxDurationMs: 1500,
    });
    expect(result.stoppedBy).toBe('max-duration');
    expect(Date.now() - started).toBeLessThan(10_000);
    // 1.5 s at 40/s plus the 2-event burst, a little timer slack either way
    expect(result.eventsAcked).toBeGreaterThanOrEqual(45);
    expect(result.eventsAcked).toBeLessThanOrEqual(64);
    expect(result.expectedEventIds).toHaveLength(result.eventsAcked);
  });

  it('refuses wrong operator credentials before changing anything', async () => {
    const run = () => runSimulation(loadSimConfig(simEnv({ SIM_PREFIX_BASE: '9501', SIM_OPERATOR_PASSWORD: 'not-the-password', SIM_MAX_EVENTS: '10' })));
    const error = await node.unchangedBy(() => run().then(() => undefined, (e: unknown) => e));
    expect(error).toBeInstanceOf(EnterpriseSetupError);
    expect((error as Error).message).toMatch(/operator login of "operator" refused.*SIM_OPERATOR_PASSWORD/);
    const withoutOperator = await node.unchangedBy(() =>
      runSimulation(loadSimConfig({ ...simEnv({ SIM_PREFIX_BASE: '9501', SIM_MAX_EVENTS: '10' }), SIM_OPERATOR_PASSWORD: '' })).then(() => undefined, (e: unknown) => e),
    );
    expect((withoutOperator as Error).message).toMatch(/88\.118\.9501 must be approved by an operator: set SIM_OPERATOR_PASSWORD/);
  });

  it('refuses a prefix that another account holds, and a wrong enterprise password', async () => {
    await node.approvedEnterprise('88.118.9601', 'someone-else');
    const taken = await runSimulation(loadSimConfig(simEnv({ SIM_PREFIX_BASE: '9601', SIM_MAX_EVENTS: '10' }))).then(() => undefined, (e: unknown) => e);
    expect((taken as Error).message).toMatch(/prefix 88\.118\.9601 is already held or requested by account "someone-else"/);
    // the failure of one enterprise stops the run; the others settle first (nothing keeps running)

    await runSimulation(loadSimConfig(simEnv({ SIM_PREFIX_BASE: '9701', SIM_MAX_EVENTS: '5', SIM_REGISTER: 'false' })));
    const wrong = await runSimulation(loadSimConfig(simEnv({ SIM_PREFIX_BASE: '9701', SIM_MAX_EVENTS: '5', SIM_ENTERPRISE_PASSWORD: 'another-password' }))).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((wrong as Error).message).toMatch(/account sim-88\.118\.970\d exists.*refused the password: set SIM_ENTERPRISE_PASSWORD/);
  });

  it('says clearly when the node or the broker cannot be reached', async () => {
    const unreachable = await new NodeClient('http://127.0.0.1:1').tryLogin('x', 'y').then(() => undefined, (e: unknown) => e);
    expect(unreachable).toBeInstanceOf(NodeApiError);
    expect((unreachable as Error).message).toMatch(/the node at http:\/\/127\.0\.0\.1:1 is unreachable/);
    const noBroker = await publishMessages([], { mqttUrl: 'mqtt://127.0.0.1:1', maxDurationMs: 1000, connectTimeoutMs: 2000 }).then(() => undefined, (e: unknown) => e);
    expect(noBroker).toBeInstanceOf(PublishError);
    expect((noBroker as Error).message).toMatch(/cannot connect to the MQTT broker at mqtt:\/\/127\.0\.0\.1:1/);
    await expect(publishMessages([], { mqttUrl: MOSQUITTO_URL, maxDurationMs: 0 })).rejects.toThrow(/maxDurationMs must be an integer from 1/);
    await expect(publishMessages([], { mqttUrl: MOSQUITTO_URL, maxDurationMs: 1000, inFlight: 0 })).rejects.toThrow(/inFlight/);
  });
});
