import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { observeEventMessages } from '../support/observe-events';
import { publishMessages } from '../../apps/enterprise-sim/src/publisher';
import { freePort } from '../support/free-port';
import { bootstrapDynsec } from '../support/mosquitto-dynsec';
import { request } from '../support/http';
import { NodeProcess } from '../support/node-process';
import { SpawnedProcess } from '../support/spawned-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { applicationBody, OPERATOR_PASSWORD } from '../support/test-node';
import { waitFor } from '../support/wait-for';

/**
 * Item 9 of the traceability issue: no loss, no duplicates, proven. N events are published at
 * QoS 1 (the simulator's publisher, with the enterprise's node-issued MQTT credential) through a
 * Mosquitto of our own, configured as deploy/mosquitto/mosquitto.conf (dynamic security, no anonymous client); the secondary node (the built dist, a real process) is
 * SIGKILLed mid-stream and started again; afterwards exactly the N acknowledged events are stored
 * and queryable.
 */
const N = Number(process.env.INGESTION_KILL_EVENTS ?? 3000);

/** The node's HTTP API (JSON replies only). */
function http(base: string, method: string, path: string, body?: unknown, token?: string) {
  return request(base, method, path, { body, token, redirect: 'follow', requireJson: true });
}

describe('ingestion survives SIGKILL of the node mid-stream (own Mosquitto, real process)', () => {
  let db: TestDatabase;
  let broker: SpawnedProcess | undefined;
  let node: NodeProcess | undefined;
  let confDir: string;

  afterAll(async () => {
    await node?.stop();
    await broker?.stop();
    if (confDir) rmSync(confDir, { recursive: true, force: true });
    await db?.drop();
  });

  it(`stores exactly the ${N} acknowledged events, once each`, async () => {
    // The broker: deploy/mosquitto/mosquitto.conf on a free loopback port.
    const mqttPort = await freePort();
    confDir = mkdtempSync(join(tmpdir(), 'idis-mosquitto-'));
    // Its dynamic-security file bootstrapped as the file's comments say: an admin account, which the node uses to manage the rest.
    const admin = { username: 'idis-admin', password: randomBytes(12).toString('hex') };
    const dynsecFile = bootstrapDynsec(confDir, admin);
    const conf = readFileSync(join(__dirname, '..', '..', 'deploy', 'mosquitto', 'mosquitto.conf'), 'utf8')
      .replace(/^listener 1883$/m, `listener ${mqttPort} 127.0.0.1`)
      .replace(/^plugin_opt_config_file .*$/m, `plugin_opt_config_file ${dynsecFile}`);
    expect(conf).toContain(`listener ${mqttPort} 127.0.0.1`);
    expect(conf).toContain(`plugin_opt_config_file ${dynsecFile}`);
    expect(conf).toMatch(/^allow_anonymous false$/m);
    writeFileSync(join(confDir, 'mosquitto.conf'), conf);
    broker = new SpawnedProcess(spawn('/usr/sbin/mosquitto', ['-c', join(confDir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] }), 'mosquitto');
    await broker.waitForOutput(new RegExp(`port ${mqttPort}`), 10_000);
    const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;

    db = await createTestDatabase('kill');
    const topicRoot = 'idis/v1';
    const env = {
      DATABASE_URL: db.url,
      OPERATOR_PASSWORD,
      JWT_SECRET: randomBytes(32).toString('hex'),
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      MQTT_URL: mqttUrl,
      MQTT_CLIENT_ID: `kill-${randomBytes(3).toString('hex')}`,
      MQTT_CONNECTIONS: '8',
      MQTT_SESSION_EXPIRY_SECONDS: '300',
      // The node manages the broker's accounts; its consumer has an account of its own.
      MQTT_BROKER_ACCOUNTS: 'dynsec',
      MQTT_ADMIN_USERNAME: admin.username,
      MQTT_ADMIN_PASSWORD: admin.password,
      MQTT_USERNAME: 'idis-node-consumer',
      MQTT_PASSWORD: randomBytes(12).toString('hex'),
    };
    node = NodeProcess.spawn(env);
    const base = await node.ready();

    // An enterprise with an active prefix, approved by the operator.
    const application = await http(base, 'POST', '/api/v1/enterprises/applications', applicationBody('88.118.8', 'acme'));
    expect(application.status).toBe(201);
    const operator = (await http(base, 'POST', '/api/v1/auth/token', { username: 'operator', password: OPERATOR_PASSWORD })).body.accessToken as string;
    const approved = await http(base, 'POST', `/api/v1/enterprises/applications/${application.body.id}/approve`, {}, operator);
    expect(approved.status).toBe(200);
    const consumerUp = async (url: string) => {
      const status = await http(url, 'GET', '/api/v1/ingestion/status', undefined, operator);
      return status.status === 200 && status.body.consumer?.connections.subscribed === 8 ? status.body : undefined;
    };
    await waitFor('the consumer to subscribe', () => consumerUp(base), { timeoutMs: 20_000, intervalMs: 100 });
    // The enterprise's own MQTT credential: the broker admits no anonymous publisher.
    const enterpriseToken = (await http(base, 'POST', '/api/v1/auth/token', { username: 'acme', password: 'enterprise-pass-1' })).body.accessToken as string;
    const credential = await http(base, 'POST', `/api/v1/enterprises/${approved.body.enterpriseId}/mqtt-credentials`, {}, enterpriseToken);
    expect(credential.status).toBe(201);

    const storedCount = async () => Number((await db.client.query<{ n: string }>('SELECT count(*)::text AS n FROM epcis_events')).rows[0].n);

    // Publish at a steady rate, so that the kill lands mid-stream.
    const publishing = publishMessages(observeEventMessages(topicRoot, '88.118.8', N, 'KILL'), {
      mqttUrl,
      username: credential.body.username,
      password: credential.body.password,
      protocolVersion: 5,
      ratePerSecond: Math.max(200, Math.round(N / 6)),
      inFlight: 100,
      maxDurationMs: 120_000,
      drainTimeoutMs: 60_000,
    });
    await waitFor('a quarter of the events stored', async () => (await storedCount()) >= N / 4, { timeoutMs: 60_000, intervalMs: 100 });
    const killedAt = await storedCount();
    node.child.kill('SIGKILL');
    await waitFor('the node to die', async () => node?.child.signalCode === 'SIGKILL', { timeoutMs: 10_000, intervalMs: 100 });
    expect(killedAt).toBeLessThan(N);

    // Publishing continues while the node is down: the broker queues for its sessions.
    node = NodeProcess.spawn(env);
    const restartedBase = await node.ready();
    const result = await publishing;
    expect(result.messagesFailed).toBe(0);
    expect(result.unacknowledged).toBe(0);
    expect(result.expectedEventIds).toHaveLength(N);

    await waitFor(`all ${N} events stored`, async () => (await storedCount()) >= N, { timeoutMs: 120_000, intervalMs: 100 });
    // Settled: nothing more arrives (no late duplicates as extra rows), exactly the N ids.
    await waitFor('ingestion to settle', async () => {
      const status = await consumerUp(restartedBase);
      return status && status.inFlight === 0 ? status : undefined;
    }, { timeoutMs: 30_000, intervalMs: 100 });
    expect(await storedCount()).toBe(N);
    const missing = await db.client.query(`SELECT count(*)::int AS n FROM unnest($1::text[]) AS id WHERE NOT EXISTS (SELECT 1 FROM epcis_events e WHERE e.event_id = id)`, [result.expectedEventIds]);
    expect(missing.rows[0].n).toBe(0);
    expect(await db.client.query(`SELECT count(*)::int AS n FROM epcis_rejects`).then((r) => r.rows[0].n)).toBe(0);
    const status = (await http(restartedBase, 'GET', '/api/v1/ingestion/status', undefined, operator)).body;
    expect(status.storedTotal).toBe(N);

    // Queryable: the EPCIS query interface returns them.
    for (const id of [result.expectedEventIds[0], result.expectedEventIds[Math.floor(N / 2)], result.expectedEventIds[N - 1]]) {
      const reply = await http(restartedBase, 'GET', `/epcis/events/${encodeURIComponent(id)}`, undefined, operator);
      expect({ id, status: reply.status }).toEqual({ id, status: 200 });
    }
    process.stdout.write(
      `ingestion-kill: ${N} events published at QoS 1, node SIGKILLed after ${killedAt} were stored, restarted; ${await storedCount()} distinct stored, ` +
        `${status.duplicatesTotal} redelivered duplicates absorbed\n`,
    );
  }, 300_000);
});
