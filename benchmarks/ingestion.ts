/**
 * Ingestion benchmark (`npm run bench -- ingestion`): EPCIS events published at QoS 1 from a
 * separate process through the real Mosquitto (127.0.0.1:1883) into the secondary node (the built
 * dist, its own process, real PostgreSQL), counted when the node has acknowledged them — which it
 * does only after their batch committed. Next to it, measured in the same run, the broker's raw
 * publish→receive rate: a bare MQTT.js subscriber process with the same number of connections in
 * a shared subscription, acknowledging on receipt.
 *
 * The system Mosquitto keeps the default max_queued_messages (100 per session) and drops QoS 1
 * messages beyond it, so the publisher never runs more than --ahead messages ahead of what the
 * consumer has taken (the parent relays the consumer's progress to it over IPC). Every run checks
 * that all N messages arrived (and, for the node, that N distinct events are in the database).
 *
 * Options: --events=30000 (per run), --rounds=2, --connections=8 (node and raw subscriber), --ahead=2000.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { Client } from 'pg';
import { creditCodeCheckCharacter } from '../apps/secondary-node/src/registry/credit-code';
import { cpuMillis, freePort, type RunningNode, startNodeProcess, trackChild } from './support/node-process';
import { round } from './support/stats';

const BROKER_URL = process.env.BENCH_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PREFIX = '88.118.8';

interface RunResult {
  scenario: 'raw-broker' | 'node-committed';
  events: number;
  seconds: number;
  perSecond: number;
  /** Node only: mean events per committed batch and mean commit time. */
  meanBatchEvents?: number;
  meanCommitMs?: number;
  nodeCpuMsPer1000?: number;
}

function option(args: string[], name: string, fallback: number): number {
  const found = args.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
}

function log(message: string): void {
  process.stdout.write(`[ingestion] ${message}\n`);
}

export async function runIngestionBenchmark(args: string[]): Promise<void> {
  const events = option(args, 'events', 30_000);
  const rounds = option(args, 'rounds', 2);
  const connections = option(args, 'connections', 8);
  const ahead = option(args, 'ahead', 2000);
  const dbName = `idis_bench_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${dbName}`;
  const tag = randomBytes(4).toString('hex');
  const nodeRoot = `bench/${tag}/v1`;
  let node: RunningNode | undefined;
  const db = new Client({ connectionString: dbUrl.toString() });
  try {
    const port = await freePort();
    node = await startNodeProcess(
      {
        DATABASE_URL: dbUrl.toString(),
        OPERATOR_PASSWORD: 'bench-operator-1',
        JWT_SECRET: randomBytes(32).toString('hex'),
        MQTT_URL: BROKER_URL,
        MQTT_TOPIC_ROOT: nodeRoot,
        MQTT_SHARE_GROUP: `bench-${tag}`,
        MQTT_CLIENT_ID: `bench-${tag}`,
        MQTT_CONNECTIONS: String(connections),
        // Short-lived sessions: the benchmark's client ids are never used again.
        MQTT_SESSION_EXPIRY_SECONDS: '30',
      },
      port,
    );
    await db.connect();
    const operator = await setUpEnterprise(node.baseUrl);
    await waitFor('the consumer to subscribe', async () => (await nodeStatus(node as RunningNode, operator)).consumer?.connections.subscribed === connections, 30_000);
    log(`node up (${connections} MQTT connections); warming up with 2,000 events`);
    await nodeRun(node, operator, db, nodeRoot, 2000, ahead, 0);

    const results: RunResult[] = [];
    let offset = 2000;
    for (let r = 0; r < rounds; r += 1) {
      results.push(await rawRun(`bench-raw/${tag}-${r}/v1`, events, connections, ahead));
      log(`round ${r + 1}: raw broker ${results[results.length - 1].perSecond.toLocaleString('en')} msg/s`);
      results.push(await nodeRun(node, operator, db, nodeRoot, events, ahead, offset));
      offset += events;
      log(`round ${r + 1}: node ${results[results.length - 1].perSecond.toLocaleString('en')} events/s committed`);
    }
    report(results, { events, rounds, connections, ahead });
  } finally {
    await node?.stop();
    await db.end().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
  }
}

/** The raw broker: a bare subscriber process (shared subscription, `connections` connections, ack on receipt). */
async function rawRun(root: string, events: number, connections: number, ahead: number): Promise<RunResult> {
  const subscriber = forkRole('subscriber', { BENCH_ROOT: root, BENCH_CONNECTIONS: String(connections) });
  try {
    await nextMessage(subscriber, (m) => m.type === 'ready', 30_000);
    let received = 0;
    let lastAt = 0;
    subscriber.on('message', (m: any) => {
      if (m.type === 'progress') {
        received = m.received;
        lastAt = m.lastAt;
      }
    });
    const { startedAt } = await publishFromChild(root, events, ahead, () => received, 0);
    await waitFor(`the raw subscriber to receive ${events}`, async () => received >= events, 120_000);
    const seconds = (lastAt - startedAt) / 1000;
    return { scenario: 'raw-broker', events, seconds: round(seconds, 2), perSecond: Math.round(events / seconds) };
  } finally {
    subscriber.kill('SIGTERM');
  }
}

/** Through the node: counted by the node's acknowledgements (sent after commit), then checked in the database. */
async function nodeRun(node: RunningNode, operator: string, db: Client, root: string, events: number, ahead: number, offset: number): Promise<RunResult> {
  const before = await nodeStatus(node, operator);
  const cpuBefore = cpuMillis(node.process.pid as number);
  let acked = 0;
  let lastCommitAt = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const status = await nodeStatus(node, operator).catch(() => undefined);
      if (status) {
        acked = status.acknowledgedSinceStart - before.acknowledgedSinceStart;
        lastCommitAt = status.lastCommitAt ? Date.parse(status.lastCommitAt) : 0;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  try {
    const { startedAt } = await publishFromChild(root, events, ahead, () => acked, offset);
    await waitFor(`the node to acknowledge ${events}`, async () => acked >= events, 300_000);
    const seconds = (lastCommitAt - startedAt) / 1000;
    const after = await nodeStatus(node, operator);
    const stored = Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM epcis_events')).rows[0].n);
    if (stored !== offset + events) throw new Error(`expected ${offset + events} events stored, found ${stored}`);
    const cpuAfter = cpuMillis(node.process.pid as number);
    const batches = after.batchesCommitted - before.batchesCommitted;
    return {
      scenario: 'node-committed',
      events,
      seconds: round(seconds, 2),
      perSecond: Math.round(events / seconds),
      meanBatchEvents: round(events / Math.max(1, batches), 1),
      nodeCpuMsPer1000: cpuBefore !== undefined && cpuAfter !== undefined ? round(((cpuAfter - cpuBefore) / events) * 1000, 1) : undefined,
    };
  } finally {
    polling = false;
    await poller;
  }
}

async function publishFromChild(root: string, events: number, ahead: number, consumed: () => number, offset: number): Promise<{ startedAt: number; endedAt: number }> {
  const publisher = forkRole('publisher', { BENCH_ROOT: root, BENCH_EVENTS: String(events), BENCH_AHEAD: String(ahead), BENCH_OFFSET: String(offset) });
  const relay = setInterval(() => publisher.connected && publisher.send({ type: 'consumed', consumed: consumed() }), 5);
  try {
    const done = await nextMessage(publisher, (m) => m.type === 'done' || m.type === 'error', 300_000);
    if (done.type === 'error') throw new Error(`publisher: ${done.message}`);
    return { startedAt: done.startedAt, endedAt: done.endedAt };
  } finally {
    clearInterval(relay);
    publisher.kill('SIGTERM');
  }
}

function forkRole(role: string, env: Record<string, string>): ChildProcess {
  const child = fork(__filename, [`--bench-role=${role}`], { env: { ...process.env, BENCH_MQTT_URL: BROKER_URL, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  trackChild(child);
  return child;
}

function nextMessage(child: ChildProcess, match: (m: any) => boolean, timeoutMs: number): Promise<any> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child did not answer in time')), timeoutMs);
    const onMessage = (m: any) => {
      if (!match(m)) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function nodeStatus(node: RunningNode, token: string): Promise<any> {
  const response = await fetch(`${node.baseUrl}/api/v1/ingestion/status`, { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200) throw new Error(`status ${response.status}`);
  return response.json();
}

async function setUpEnterprise(baseUrl: string): Promise<string> {
  const post = async (path: string, body: unknown, token?: string) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as any;
    if (response.status >= 300) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
  };
  const first17 = `91110108${String(Date.now() % 1e9).padStart(9, '0')}`;
  const application = await post('/api/v1/enterprises/applications', {
    orgName: 'Bench Manufacturing',
    creditCode: `${first17}${creditCodeCheckCharacter(first17)}`,
    contactName: 'Bench',
    contactPhone: '+86 27 8765 4321',
    contactEmail: 'bench@example.cn',
    requestedPrefix: PREFIX,
    username: 'bench',
    password: 'bench-password-1',
  });
  const operator = (await post('/api/v1/auth/token', { username: 'operator', password: 'bench-operator-1' })).accessToken as string;
  await post(`/api/v1/enterprises/applications/${application.id}/approve`, {}, operator);
  return operator;
}

/** A realistic ~600-byte shipping ObjectEvent with its own eventID. */
function eventPayload(i: number): string {
  return JSON.stringify({
    type: 'ObjectEvent',
    eventID: `urn:uuid:${randomUUID()}`,
    eventTime: new Date(Date.UTC(2025, 0, 15, 8) + i).toISOString().replace('Z', '+00:00'),
    eventTimeZoneOffset: '+08:00',
    epcList: [`hdl:${PREFIX}/BENCH-${i}`, `urn:epc:id:sgtin:0614141.107346.${i}`],
    action: 'OBSERVE',
    bizStep: 'shipping',
    disposition: 'in_transit',
    readPoint: { id: 'https://id.gs1.org/414/9506000134376/254/1' },
    bizLocation: { id: 'https://id.gs1.org/414/9506000134376' },
    bizTransactionList: [{ type: 'po', bizTransaction: `urn:epcglobal:cbv:bt:9506000134376:PO-${i}` }],
  });
}

function report(results: RunResult[], settings: Record<string, number>): void {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const raw = results.filter((r) => r.scenario === 'raw-broker');
  const nodes = results.filter((r) => r.scenario === 'node-committed');
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle] : Math.round((sorted[middle - 1] + sorted[middle]) / 2);
  };
  const span = (values: number[]) => `${Math.min(...values).toLocaleString('en')}–${Math.max(...values).toLocaleString('en')}`;
  const lines = [
    `# Ingestion benchmark (${new Date().toISOString()})`,
    '',
    `EPCIS ObjectEvents (~600 B, one per message) published at QoS 1 from a separate process through Mosquitto (${BROKER_URL}).`,
    `node-committed: counted when the node acknowledged them (PUBACK after the batch commit), checked in PostgreSQL.`,
    `raw-broker: a bare MQTT.js subscriber process, same shared-subscription shape, acknowledging on receipt.`,
    `Settings: ${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(', ')}. Machine: 2 cores shared by publisher, broker, node and PostgreSQL.`,
    '',
    '| run | scenario | events | seconds | events/s | × raw | mean batch | node CPU ms / 1000 events |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...results.map((r, i) => {
      const baseline = r.scenario === 'raw-broker' ? r : results[i - 1];
      return `| ${Math.floor(i / 2) + 1} | ${r.scenario} | ${r.events.toLocaleString('en')} | ${r.seconds} | ${r.perSecond.toLocaleString('en')} | ${round(r.perSecond / baseline.perSecond, 2)} | ${r.meanBatchEvents ?? '–'} | ${r.nodeCpuMsPer1000 ?? '–'} |`;
    }),
    '',
    `Median: node ${median(nodes.map((r) => r.perSecond)).toLocaleString('en')} events/s committed (runs ${span(nodes.map((r) => r.perSecond))}), raw broker ${median(raw.map((r) => r.perSecond)).toLocaleString('en')} msg/s (${span(raw.map((r) => r.perSecond))}). Target ≥ 8,000 events/s committed.`,
  ];
  writeFileSync(join(dir, `ingestion-${stamp}.json`), JSON.stringify({ suite: 'ingestion', at: new Date().toISOString(), settings, results }, null, 2));
  writeFileSync(join(dir, 'ingestion-latest.md'), `${lines.join('\n')}\n`);
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

// ---- child roles (forked from this same file) -------------------------------------------------

async function publisherRole(): Promise<void> {
  const root = process.env.BENCH_ROOT as string;
  const total = Number(process.env.BENCH_EVENTS);
  const ahead = Number(process.env.BENCH_AHEAD);
  const offset = Number(process.env.BENCH_OFFSET ?? 0);
  const topic = `${root}/${PREFIX}/events`;
  const payloads = Array.from({ length: total }, (_, i) => eventPayload(offset + i));
  let consumed = 0;
  process.on('message', (m: any) => {
    if (m.type === 'consumed') consumed = m.consumed;
  });
  const client = await connected(connect(BROKER_URL, { protocolVersion: 5, clientId: `bench-pub-${randomBytes(4).toString('hex')}`, clean: true }));
  const window = 100;
  let sent = 0;
  let acked = 0;
  let failed: Error | undefined;
  const startedAt = Date.now();
  await new Promise<void>((resolve) => {
    let waiting = false;
    const pump = () => {
      while (sent < total && sent - acked < window && sent - consumed < ahead && !failed) {
        client.publish(topic, payloads[sent], { qos: 1 }, (error) => {
          if (error) failed = error;
          acked += 1;
          if (acked === total) resolve();
          else setImmediate(pump);
        });
        sent += 1;
      }
      if (sent < total && sent - consumed >= ahead && !waiting) {
        waiting = true;
        setTimeout(() => {
          waiting = false;
          pump();
        }, 2);
      }
    };
    pump();
  });
  const endedAt = Date.now();
  await new Promise((resolve) => client.end(false, {}, resolve));
  process.send?.(failed ? { type: 'error', message: failed.message } : { type: 'done', startedAt, endedAt });
}

async function subscriberRole(): Promise<void> {
  const root = process.env.BENCH_ROOT as string;
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 1);
  let received = 0;
  let lastAt = 0;
  const clients = await Promise.all(
    Array.from({ length: connections }, (_, i) => connected(connect(BROKER_URL, { protocolVersion: 5, clientId: `bench-sub-${randomBytes(4).toString('hex')}-${i}`, clean: true }))),
  );
  await Promise.all(
    clients.map(
      (client) =>
        new Promise<void>((resolve, reject) => {
          client.on('message', () => {
            received += 1;
            lastAt = Date.now();
          });
          client.subscribe(`$share/raw/${root}/+/events`, { qos: 1 }, (error) => (error ? reject(error) : resolve()));
        }),
    ),
  );
  setInterval(() => process.send?.({ type: 'progress', received, lastAt }), 5);
  process.send?.({ type: 'ready' });
}

function connected(client: MqttClient): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

const role = process.argv.find((a) => a.startsWith('--bench-role='))?.split('=')[1];
if (role === 'publisher') {
  publisherRole().catch((error: Error) => {
    process.send?.({ type: 'error', message: error.message });
    process.exit(1);
  });
} else if (role === 'subscriber') {
  subscriberRole().catch((error: Error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  });
}
