import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MosquittoDynsecSync } from '../../apps/secondary-node/src/traceability/mqtt-access/mosquitto-dynsec.sync';
import { freePort } from '../support/free-port';
import { bootstrapDynsec } from '../support/mosquitto-dynsec';
import { SpawnedProcess } from '../support/spawned-process';
import { TestNode } from '../support/test-node';
import { waitFor } from '../support/wait-for';
import { consumerReady, endClient } from './ingestion-harness';
import { brokerAccessCases, type BrokerUnderTest, createCredential, tryConnect } from './mqtt-access-harness';

/**
 * MQTT credentials enforced by a Mosquitto of our own (deploy/mosquitto/mosquitto.conf on a free
 * port, dynamic-security file bootstrapped with mosquitto_ctrl as the file's comments say) whose
 * accounts and roles the node manages through the control topic (MQTT_BROKER_ACCOUNTS=dynsec).
 */
describe('MQTT access on Mosquitto with dynamic security', () => {
  let setup: BrokerUnderTest;
  let broker: SpawnedProcess | undefined;
  let dir: string;
  const admin = { username: 'idis-admin', password: randomBytes(12).toString('hex') };

  beforeAll(async () => {
    const port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'idis-dynsec-'));
    const dynsecFile = bootstrapDynsec(dir, admin);
    const conf = readFileSync(join(__dirname, '..', '..', 'deploy', 'mosquitto', 'mosquitto.conf'), 'utf8')
      .replace(/^listener 1883$/m, `listener ${port} 127.0.0.1`)
      .replace(/^plugin_opt_config_file .*$/m, `plugin_opt_config_file ${dynsecFile}`);
    expect(conf).toMatch(/^allow_anonymous false$/m);
    writeFileSync(join(dir, 'mosquitto.conf'), conf);
    broker = new SpawnedProcess(spawn('/usr/sbin/mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] }), 'mosquitto');
    await broker.waitForOutput(new RegExp(`port ${port}`), 10_000);
    const url = `mqtt://127.0.0.1:${port}`;
    const tag = randomBytes(3).toString('hex');
    const node = await TestNode.start({
      MQTT_URL: url,
      MQTT_CLIENT_ID: `dynsec-${tag}`,
      MQTT_CONNECTIONS: '2',
      MQTT_SESSION_EXPIRY_SECONDS: '60',
      MQTT_USERNAME: 'idis-node-consumer',
      MQTT_PASSWORD: randomBytes(12).toString('hex'),
      MQTT_BROKER_ACCOUNTS: 'dynsec',
      MQTT_ADMIN_USERNAME: admin.username,
      MQTT_ADMIN_PASSWORD: admin.password,
    });
    await consumerReady(node);
    setup = {
      node,
      url,
      protocolVersion: 5,
      operatorToken: await node.operatorToken(),
      entA: await node.approvedEnterprise('88.118.60', 'dyn-ent-a'),
      entB: await node.approvedEnterprise('88.118.61', 'dyn-ent-b'),
      entC: await node.approvedEnterprise('88.118.62', 'dyn-ent-c'),
    };
  });

  afterAll(async () => {
    await setup?.node.stop();
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  brokerAccessCases(() => setup);

  it('reconciles the broker with the database: a stray account under the node\'s naming is removed', async () => {
    const ctl = (...args: string[]) => execFileSync('/usr/bin/mosquitto_ctrl', ['-h', '127.0.0.1', '-p', new URL(setup.url).port, '-u', admin.username, '-P', admin.password, 'dynsec', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    ctl('createClient', 'idis-e-stray-account', '-p', 'stray-password-1');
    ctl('createClient', 'someone-else', '-p', 'other-password-1');
    expect(ctl('listClients')).toMatch(/idis-e-stray-account/);
    const credential = await createCredential(setup.node, setup.entA);
    const sync = setup.node.app.get(MosquittoDynsecSync);
    // (A reconciliation triggered by an earlier prefix change may get there first: the state is what counts.)
    const report = await sync.reconcile();
    expect(report.deletedClients).not.toContain(credential.username);
    expect(report.unknownToBroker).toEqual([]);
    const clients = ctl('listClients');
    expect(clients).not.toMatch(/idis-e-stray-account/);
    expect(clients).toMatch(/someone-else/); // not the node's naming: left alone
    expect(clients).toContain(credential.username);
    const client = await tryConnect(setup.url, { protocolVersion: 5, username: credential.username, password: credential.password });
    await endClient(client);
    await waitFor('the broker to keep the node consumer', async () => /idis-node-consumer/.test(ctl('listClients')));
  });
});
