/**
 * Ingestion benchmark (`npm run bench -- ingestion`): EPCIS events published at QoS 1 from a
 * separate process through the real Mosquitto (127.0.0.1:1883) into the secondary node (the built
 * dist, its own process, real PostgreSQL), counted when the node has acknowledged them — which it
 * does only after their batch committed. Next to it, measured in the same run, the broker's raw
 * publish→receive rate: a bare MQTT.js subscriber process with the same number of connections in
 * a shared subscription, acknowledging on receipt.
 *
 * The system Mosquitto keeps its default queue limits and drops QoS 1 messages beyond them, so the
 * publisher never runs more than --ahead messages ahead of what the consumer has taken (the parent
 * relays the consumer's progress to it over IPC). Every run checks that all N messages arrived
 * (and, for the node, that N distinct events are in the database).
 *
 * Each node run is counted from the publisher's first message to the last commit; --events=150000
 * makes it last over 10 s even at ~14,000 events/s, so that start-up and tail effects are small.
 * Next to the rate, each node run reports the CPU time per 1,000 events of every process on the
 * path (the node, its PostgreSQL backends, Mosquitto, the publisher) and how busy the machine was:
 * the events/s depend on the other engineers' load, the CPU per event much less.
 *
 * Subscriptions (EPCIS issue 16 item 6): each round also runs the node with --subscriptions=100
 * webhook subscriptions active (100 named queries, one per read point; the events cycle through the
 * 100 read points, so each event matches exactly one subscription), received by a separate HTTP
 * receiver process: its committed events/s is reported next to the run without subscriptions of
 * the same round. The two runs of a round take turns at going first (each run stores into a
 * larger database than the one before it). Then a paced run publishes at --paced-rate=5000 events/s for --paced-seconds=15
 * with the subscriptions active and reports the end-to-end delivery latency (the publisher's
 * publish call → the receiver has the event), p50/p90/p99/max, and checks that every event arrived
 * exactly once. --subscriptions=0 skips all of it.
 *
 * Options: --events=150000 (per run), --rounds=3 (the report gives the median over the rounds),
 * --connections=8 (node and raw subscriber), --ahead=2000. --ahead stays within what the system
 * Mosquitto holds for the node's sessions: 8 sessions × (receive maximum 500 in flight +
 * max_queued_messages queued: 1,000 by default in Mosquitto 2.0.11, 100 in older versions) ≥ 4,800
 * messages before it would drop any.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { Client } from 'pg';
import { creditCodeCheckCharacter } from '@idis/identifier';
import { cpuMillis, type RunningNode, startNodeProcess } from '../tests/support/benchmark/server-process';
import { percentile, round } from '../tests/support/benchmark/stats';
import { freePort } from '../tests/support/free-port';
import { fetchMetrics, metricSample } from '../tests/support/metrics-text';
import { trackChild } from '../tests/support/spawned-process';
import { createScratchDatabase } from '../tests/support/test-database';
import { waitFor } from '../tests/support/wait-for';

const BROKER_URL = process.env.BENCH_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PREFIX = '88.118.8';

interface RunResult {
  scenario: 'raw-broker' | 'node-committed' | 'node-committed-subscribed';
  events: number;
  seconds: number;
  perSecond: number;
  /** Node only: mean events per committed batch, and mean time from BEGIN to COMMIT of a batch. */
  meanBatchEvents?: number;
  meanCommitMs?: number;
  /** Node only: CPU ms per 1,000 events of each process on the path (undefined where it could not be read). */
  nodeCpuMsPer1000?: number;
  postgresCpuMsPer1000?: number;
  brokerCpuMsPer1000?: number;
  publisherCpuMsPer1000?: number;
  /** Subscribed runs: the webhook receiver's CPU (it shares the machine; its deliveries may end after the last commit, which is not counted). */
  receiverCpuMsPer1000?: number;
  /** Subscribed runs, from the node's /metrics: the feed's advances (two statements each) and the subscribers' scope reads. */
  feedAdvances?: number;
  scopeReads?: number;
  /** Transactions the bench database committed or rolled back per 1,000 events (every statement outside BEGIN is one; PostgreSQL's counters, flushed about once a second). */
  transactionsPer1000?: number;
  /** Node only: share of the machine's CPU time (all cores) that was busy during the run, in %. */
  machineBusyPercent?: number;
  /** Subscribed runs, from the node's /metrics over the run and its deliveries: events the feed took as handed by the store or read back from the database, deliveries (POSTs) acknowledged. */
  feedHanded?: number;
  feedReadBack?: number;
  deliveries?: number;
}

/** The paced run with subscriptions: publish → receiver latency. */
interface LatencyResult {
  subscriptions: number;
  targetRate: number;
  events: number;
  publishSeconds: number;
  publishedPerSecond: number;
  delivered: number;
  duplicates: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Mean time from BEGIN to COMMIT of the node's batches during the paced run (part of every latency). */
  meanCommitMs: number;
  /** The latency in two parts, at the event's record time (its transaction's start): publish call → record time (broker, the node's batching queue), record time → receiver (commit, the feed's horizon, the delivery's linger, the POST). */
  split: { toRecordP50Ms: number; toRecordP99Ms: number; fromRecordP50Ms: number; fromRecordP99Ms: number };
  machineBusyPercent?: number;
}

function option(args: string[], name: string, fallback: number): number {
  const found = args.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
}

function log(message: string): void {
  process.stdout.write(`[ingestion] ${message}\n`);
}

export async function runIngestionBenchmark(args: string[]): Promise<void> {
  const events = option(args, 'events', 150_000);
  const rounds = option(args, 'rounds', 3);
  const connections = option(args, 'connections', 8);
  const ahead = option(args, 'ahead', 2000);
  const subscriptions = option(args, 'subscriptions', 100);
  const pacedRate = option(args, 'paced-rate', 5000);
  const pacedSeconds = option(args, 'paced-seconds', 15);
  const database = await createScratchDatabase(`idis_bench_${randomBytes(4).toString('hex')}`, ADMIN_URL);
  const tag = randomBytes(4).toString('hex');
  const nodeRoot = `bench/${tag}/v1`;
  let node: RunningNode | undefined;
  const db = new Client({ connectionString: database.url });
  try {
    const port = await freePort();
    node = await startNodeProcess(
      {
        DATABASE_URL: database.url,
        OPERATOR_PASSWORD: 'bench-operator-1',
        JWT_SECRET: randomBytes(32).toString('hex'),
        MQTT_URL: BROKER_URL,
        MQTT_TOPIC_ROOT: nodeRoot,
        MQTT_SHARE_GROUP: `bench-${tag}`,
        MQTT_CLIENT_ID: `bench-${tag}`,
        MQTT_CONNECTIONS: String(connections),
        // Short-lived sessions: the benchmark's client ids are never used again.
        MQTT_SESSION_EXPIRY_SECONDS: '30',
        // The webhook receiver of the subscription runs on loopback.
        EPCIS_WEBHOOK_ALLOW_PRIVATE: 'true',
      },
      port,
    );
    await db.connect();
    const operator = await setUpEnterprise(node.baseUrl);
    await waitFor('the consumer to subscribe', async () => (await nodeStatus(node as RunningNode, operator)).consumer?.connections.subscribed === connections, { timeoutMs: 30_000, intervalMs: 10, failOnError: true });
    log(`node up (${connections} MQTT connections); warming up with 2,000 events`);
    await nodeRun(node, operator, db, nodeRoot, 2000, ahead, 0);

    const results: RunResult[] = [];
    let offset = 2000;
    const subscribed = subscriptions > 0 ? await startSubscriptions(node, subscriptions) : undefined;
    let latency: LatencyResult | undefined;
    try {
      for (let r = 0; r < rounds; r += 1) {
        results.push(await rawRun(`bench-raw/${tag}-${r}/v1`, events, connections, ahead));
        log(`round ${r + 1}: raw broker ${results[results.length - 1].perSecond.toLocaleString('en')} msg/s`);
        const plain = async () => {
          results.push(await nodeRun(node as RunningNode, operator, db, nodeRoot, events, ahead, offset));
          offset += events;
          log(`round ${r + 1}: node ${results[results.length - 1].perSecond.toLocaleString('en')} events/s committed`);
        };
        const withSubscriptions = async (active: Subscribed) => {
          await active.subscribe();
          const before = await deliveryCounters(node as RunningNode);
          const run = await nodeRun(node as RunningNode, operator, db, nodeRoot, events, ahead, offset, active.receiver.pid);
          await active.waitForDeliveries(offset, events);
          const after = await deliveryCounters(node as RunningNode);
          results.push({
            ...run,
            scenario: 'node-committed-subscribed',
            feedHanded: after.handed - before.handed,
            feedReadBack: after.readBack - before.readBack,
            deliveries: after.deliveries - before.deliveries,
            feedAdvances: after.advances - before.advances,
            scopeReads: after.scopeReads - before.scopeReads,
          });
          await active.unsubscribe();
          offset += events;
          const last = results[results.length - 1];
          log(`round ${r + 1}: node with ${subscriptions} subscriptions ${run.perSecond.toLocaleString('en')} events/s committed (all ${events.toLocaleString('en')} delivered in ${last.deliveries} POSTs; feed handed ${last.feedHanded}, read back ${last.feedReadBack})`);
        };
        // Every run stores into a larger database, and the machine's speed drifts: the two runs of a
        // round take turns at going first (ABBA over two rounds), so that neither is always the later.
        if (!subscribed) await plain();
        else if (r % 2 === 0) {
          await plain();
          await withSubscriptions(subscribed);
        } else {
          await withSubscriptions(subscribed);
          await plain();
        }
      }
      if (subscribed) {
        await subscribed.subscribe();
        latency = await pacedRun(node, operator, db, subscribed, nodeRoot, pacedRate, pacedSeconds, ahead, offset);
        await subscribed.unsubscribe();
        log(`paced ${pacedRate.toLocaleString('en')} events/s with ${subscriptions} subscriptions: p99 ${latency.p99Ms} ms publish → receiver`);
      }
    } catch (error) {
      // A wait that timed out says little by itself: what the subscriptions and the node were doing.
      await logDiagnosis(db, node, subscribed);
      throw error;
    } finally {
      subscribed?.receiver.kill('SIGTERM');
    }
    report(results, { events, rounds, connections, ahead, subscriptions, pacedRate, pacedSeconds }, latency);
  } finally {
    const stopping = Date.now();
    const code = await node?.stop();
    // A node that did not shut down by itself within the stop's grace was killed (and wrote no --cpu-prof).
    if (node) log(`node stopped in ${Date.now() - stopping} ms (exit ${code ?? 'by signal'})`);
    await db.end().catch(() => undefined);
    await database.drop();
  }
}

/** After a failed run: the subscriptions' delivery state, what the receiver has, and the tail of the node's output. */
async function logDiagnosis(db: Client, node: RunningNode | undefined, subscribed: Subscribed | undefined): Promise<void> {
  try {
    const { rows } = await db.query(
      `SELECT count(*)::int AS subscriptions, coalesce(sum(delivered_events), 0)::bigint AS delivered, count(*) FILTER (WHERE attempts > 0)::int AS failing,
              max(attempts) AS max_attempts, max(next_attempt_at) AS latest_next_attempt, min(cursor_time) AS slowest_cursor,
              count(*) FILTER (WHERE lease_owner IS NOT NULL)::int AS leased, max(last_error) AS an_error
         FROM epcis_subscriptions`,
    );
    log(`diagnosis: subscriptions ${JSON.stringify(rows[0])}`);
    const [{ stored }] = (await db.query('SELECT count(*)::int AS stored FROM epcis_event_ids')).rows;
    log(`diagnosis: ${stored} events stored; receiver has ${JSON.stringify(subscribed?.received() ?? null)}`);
    // An open transaction on one of the node's connections holds the subscriptions' horizon back.
    const sessions = await db.query(
      `SELECT pid, state, xact_start, now() - xact_start AS open_for, wait_event_type, wait_event, left(query, 160) AS query
         FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() ORDER BY xact_start NULLS LAST`,
    );
    for (const row of sessions.rows) log(`diagnosis: session ${JSON.stringify(row)}`);
  } catch (error) {
    log(`diagnosis: the database could not be read (${(error as Error).message})`);
  }
  if (node) log(`diagnosis: the node's last output:\n${node.output.slice(-6000)}`);
}

/** The bench enterprise's 100 named queries and a webhook receiver process; subscriptions are made and removed per run. */
async function startSubscriptions(node: RunningNode, count: number) {
  const receiver = forkRole('receiver', {});
  const ready = await nextMessage(receiver, (m) => m.type === 'ready', 30_000);
  const token = await benchToken(node.baseUrl);
  for (let k = 0; k < count; k += 1) {
    await api(node.baseUrl, 'POST', '/epcis/queries', { name: `point-${k}`, query: { EQ_readPoint: readPointOf(k) } }, token);
  }
  let received = { total: 0, distinct: 0 };
  receiver.on('message', (m: any) => {
    if (m.type === 'progress') received = { total: m.total, distinct: m.distinct };
  });
  const subscriptionIds: Array<[number, string]> = [];
  return {
    receiver,
    count,
    received: () => received,
    async subscribe(): Promise<void> {
      for (let k = 0; k < count; k += 1) {
        const created = await api(node.baseUrl, 'POST', `/epcis/queries/point-${k}/subscriptions`, { dest: `${ready.url}/point-${k}`, signatureToken: 'bench-webhook-secret', stream: true }, token);
        subscriptionIds.push([k, created.subscriptionID]);
      }
    },
    async unsubscribe(): Promise<void> {
      for (const [k, id] of subscriptionIds.splice(0)) await api(node.baseUrl, 'DELETE', `/epcis/queries/point-${k}/subscriptions/${id}`, undefined, token);
    },
    /** Waits until the receiver has the events [offset, offset + events) (indexes are in their eventIDs). */
    async waitForDeliveries(offset: number, events: number): Promise<void> {
      receiver.send({ type: 'expect', from: offset, to: offset + events });
      await nextMessage(receiver, (m) => m.type === 'complete', 300_000);
    },
    /** Receive times (ms since the epoch) of the events [from, to), 0 for one that never came; and how many came twice. */
    async dump(from: number, to: number): Promise<{ receivedAt: number[]; duplicates: number }> {
      receiver.send({ type: 'dump', from, to });
      return nextMessage(receiver, (m) => m.type === 'dump', 60_000);
    },
  };
}

type Subscribed = Awaited<ReturnType<typeof startSubscriptions>>;

/** Publishes at `rate` events/s for `seconds` with the subscriptions on; latency = receiver's receive time − publisher's publish call. */
async function pacedRun(node: RunningNode, operator: string, db: Client, subscribed: Subscribed, root: string, rate: number, seconds: number, ahead: number, offset: number): Promise<LatencyResult> {
  const events = rate * seconds;
  const machineBefore = machineTicks();
  const publisher = forkRole('publisher', { BENCH_ROOT: root, BENCH_EVENTS: String(events), BENCH_AHEAD: String(ahead), BENCH_OFFSET: String(offset), BENCH_RATE: String(rate) });
  // As in nodeRun, the publisher stays at most `ahead` messages ahead of what the node acknowledged.
  const before = await nodeStatus(node, operator);
  const commitSecondsBefore = await commitSeconds(node);
  let acked = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const status = await nodeStatus(node, operator).catch(() => undefined);
      if (status) acked = status.acknowledgedSinceStart - before.acknowledgedSinceStart;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  })();
  const relay = setInterval(() => publisher.connected && publisher.send({ type: 'consumed', consumed: acked }), 5);
  try {
    const done = await nextMessage(publisher, (m) => m.type === 'done' || m.type === 'error', 300_000);
    if (done.type === 'error') throw new Error(`publisher: ${done.message}`);
    await subscribed.waitForDeliveries(offset, events);
    const machineAfter = machineTicks();
    const { receivedAt, duplicates } = await subscribed.dump(offset, offset + events);
    const sentAt: number[] = done.sentAt;
    const latencies = receivedAt.map((at, i) => at - sentAt[i]).sort((a, b) => a - b);
    const pick = (q: number) => percentile(latencies, q * 100);
    // Same clock: PostgreSQL and the bench processes run on this machine.
    const eventIds = Array.from({ length: events }, (_, i) => eventIdOf(offset + i));
    const recorded = await db.query<{ event_id: string; at: number }>(
      'SELECT event_id, extract(epoch FROM record_time)::float8 * 1000 AS at FROM epcis_events WHERE event_id = ANY($1::text[])',
      [eventIds],
    );
    const recordAt = new Map(recorded.rows.map((row) => [row.event_id, row.at]));
    const toRecord: number[] = [];
    const fromRecord: number[] = [];
    eventIds.forEach((eventId, i) => {
      const at = recordAt.get(eventId);
      if (at === undefined || receivedAt[i] === 0) return;
      toRecord.push(at - sentAt[i]);
      fromRecord.push(receivedAt[i] - at);
    });
    toRecord.sort((a, b) => a - b);
    fromRecord.sort((a, b) => a - b);
    const split = (values: number[], q: number) => (values.length === 0 ? 0 : Math.round(percentile(values, q * 100)));
    const stored = Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM epcis_events')).rows[0].n);
    if (stored !== offset + events) throw new Error(`expected ${offset + events} events stored, found ${stored}`);
    const batches = (await nodeStatus(node, operator)).batchesCommitted - before.batchesCommitted;
    const meanCommitMs = round(((await commitSeconds(node)) - commitSecondsBefore) * 1000 / Math.max(1, batches), 1);
    const busy = machineBefore && machineAfter ? round((100 * (machineAfter.total - machineBefore.total - (machineAfter.idle - machineBefore.idle))) / (machineAfter.total - machineBefore.total), 0) : undefined;
    return {
      subscriptions: subscribed.count,
      targetRate: rate,
      events,
      publishSeconds: round((done.endedAt - done.startedAt) / 1000, 2),
      publishedPerSecond: Math.round(events / ((done.endedAt - done.startedAt) / 1000)),
      delivered: receivedAt.filter((at) => at > 0).length,
      duplicates,
      p50Ms: pick(0.5),
      p90Ms: pick(0.9),
      p99Ms: pick(0.99),
      maxMs: latencies[latencies.length - 1],
      meanCommitMs,
      split: { toRecordP50Ms: split(toRecord, 0.5), toRecordP99Ms: split(toRecord, 0.99), fromRecordP50Ms: split(fromRecord, 0.5), fromRecordP99Ms: split(fromRecord, 0.99) },
      machineBusyPercent: busy,
    };
  } finally {
    clearInterval(relay);
    polling = false;
    await poller;
    publisher.kill('SIGTERM');
  }
}

/** The read point of subscription k (events cycle through them: event i is at readPointOf(i % 100)). */
function readPointOf(k: number): string {
  return `https://id.gs1.org/414/9506000134376/254/${k}`;
}

/** A deterministic eventID carrying the event's index, so the receiver can tell which event arrived. */
function eventIdOf(i: number): string {
  return `urn:uuid:00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
}

async function api(baseUrl: string, method: string, path: string, body: unknown, token: string): Promise<any> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function benchToken(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench', password: 'bench-password-1' }) });
  return ((await response.json()) as { accessToken: string }).accessToken;
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
    await waitFor(`the raw subscriber to receive ${events}`, () => received >= events, { timeoutMs: 120_000, intervalMs: 10, failOnError: true });
    const seconds = (lastAt - startedAt) / 1000;
    return { scenario: 'raw-broker', events, seconds: round(seconds, 2), perSecond: Math.round(events / seconds) };
  } finally {
    subscriber.kill('SIGTERM');
  }
}

/** Transactions of the database so far (committed and rolled back). */
async function databaseTransactions(db: Client): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = current_database()');
  return Number(rows[0].n);
}

/** Through the node: counted by the node's acknowledgements (sent after commit), then checked in the database. */
async function nodeRun(node: RunningNode, operator: string, db: Client, root: string, events: number, ahead: number, offset: number, receiverPid?: number): Promise<RunResult> {
  const before = await nodeStatus(node, operator);
  const commitSecondsBefore = await commitSeconds(node);
  const backends = await nodeBackends(db);
  const transactionsBefore = await databaseTransactions(db);
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
    // CPU is sampled from the publisher's first message (after it built its payloads) to the last acknowledgement.
    let cpuBefore: CpuSample | undefined;
    const { startedAt, publisherCpuMs } = await publishFromChild(root, events, ahead, () => acked, offset, () => {
      cpuBefore = sampleCpu(node, backends, receiverPid);
    });
    await waitFor(`the node to acknowledge ${events}`, () => acked >= events, { timeoutMs: 300_000, intervalMs: 10, failOnError: true });
    const cpuAfter = sampleCpu(node, await nodeBackends(db), receiverPid);
    const transactions = (await databaseTransactions(db)) - transactionsBefore;
    const seconds = (lastCommitAt - startedAt) / 1000;
    const after = await nodeStatus(node, operator);
    const stored = Number((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM epcis_events')).rows[0].n);
    if (stored !== offset + events) throw new Error(`expected ${offset + events} events stored, found ${stored}`);
    const batches = after.batchesCommitted - before.batchesCommitted;
    const commitSecondsAfter = await commitSeconds(node);
    const per1000 = (ms: number | undefined) => (ms === undefined ? undefined : round((ms / events) * 1000, 1));
    const used = (pick: (s: CpuSample) => number | undefined) => {
      const [a, b] = cpuBefore ? [pick(cpuBefore), pick(cpuAfter)] : [undefined, undefined];
      return a === undefined || b === undefined ? undefined : b - a;
    };
    // Backends that the pool opened meanwhile count from zero; one it closed meanwhile is missed.
    let postgres: number | undefined;
    for (const [pid, ms] of cpuAfter.postgres) postgres = (postgres ?? 0) + ms - (cpuBefore?.postgres.get(pid) ?? 0);
    const machineTotal = used((s) => s.machineTotal);
    const machineIdle = used((s) => s.machineIdle);
    return {
      scenario: 'node-committed',
      events,
      seconds: round(seconds, 2),
      perSecond: Math.round(events / seconds),
      meanBatchEvents: round(events / Math.max(1, batches), 1),
      meanCommitMs: round(((commitSecondsAfter - commitSecondsBefore) * 1000) / Math.max(1, batches), 1),
      nodeCpuMsPer1000: per1000(used((s) => s.node)),
      postgresCpuMsPer1000: per1000(postgres),
      brokerCpuMsPer1000: per1000(used((s) => s.broker)),
      publisherCpuMsPer1000: per1000(publisherCpuMs),
      receiverCpuMsPer1000: per1000(used((s) => s.receiver)),
      transactionsPer1000: round((transactions / events) * 1000, 1),
      machineBusyPercent: machineTotal && machineIdle !== undefined ? round((100 * (machineTotal - machineIdle)) / machineTotal, 0) : undefined,
    };
  } finally {
    polling = false;
    await poller;
  }
}

async function publishFromChild(
  root: string,
  events: number,
  ahead: number,
  consumed: () => number,
  offset: number,
  onStarted: () => void = () => undefined,
): Promise<{ startedAt: number; endedAt: number; publisherCpuMs: number }> {
  const publisher = forkRole('publisher', { BENCH_ROOT: root, BENCH_EVENTS: String(events), BENCH_AHEAD: String(ahead), BENCH_OFFSET: String(offset) });
  const relay = setInterval(() => publisher.connected && publisher.send({ type: 'consumed', consumed: consumed() }), 5);
  try {
    publisher.on('message', (m: any) => m.type === 'started' && onStarted());
    const done = await nextMessage(publisher, (m) => m.type === 'done' || m.type === 'error', 300_000);
    if (done.type === 'error') throw new Error(`publisher: ${done.message}`);
    return { startedAt: done.startedAt, endedAt: done.endedAt, publisherCpuMs: done.cpuMs };
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


async function nodeStatus(node: RunningNode, token: string): Promise<any> {
  const response = await fetch(`${node.baseUrl}/api/v1/ingestion/status`, { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200) throw new Error(`status ${response.status}`);
  return response.json();
}

/** Samples of the node's /metrics, each of which must be there. */
async function requiredSamples<K extends string>(node: RunningNode, series: Record<K, string>): Promise<Record<K, number>> {
  const text = await fetchMetrics(node.baseUrl);
  const values = {} as Record<K, number>;
  for (const key of Object.keys(series) as K[]) {
    const value = metricSample(text, series[key]);
    if (value === undefined) throw new Error(`${series[key]} is not on /metrics`);
    values[key] = value;
  }
  return values;
}

/** The node's subscription counters since it started (from /metrics). */
function deliveryCounters(node: RunningNode): Promise<{ handed: number; readBack: number; deliveries: number; advances: number; scopeReads: number }> {
  return requiredSamples(node, {
    advances: 'idis_epcis_feed_advances_total',
    scopeReads: 'idis_epcis_subscription_scope_reads_total',
    handed: 'idis_epcis_feed_events_total{source="handed"}',
    readBack: 'idis_epcis_feed_events_total{source="read_back"}',
    deliveries: 'idis_epcis_subscription_deliveries_total{outcome="acknowledged"}',
  });
}

/** Seconds the node spent committing batches since it started (from /metrics). */
async function commitSeconds(node: RunningNode): Promise<number> {
  return (await requiredSamples(node, { seconds: 'idis_ingestion_batch_commit_seconds_total' })).seconds;
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

interface CpuSample {
  node: number | undefined;
  /** CPU ms per backend pid. */
  postgres: Map<number, number>;
  broker: number | undefined;
  receiver: number | undefined;
  machineTotal: number | undefined;
  machineIdle: number | undefined;
}

/** The PostgreSQL backends serving the node (its connection pool), not the benchmark's own connection. */
async function nodeBackends(db: Client): Promise<number[]> {
  const rows = await db.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
  );
  return rows.rows.map((row) => row.pid);
}

function sampleCpu(node: RunningNode, backends: number[], receiverPid?: number): CpuSample {
  const postgres = new Map<number, number>();
  for (const pid of backends) {
    const ms = cpuMillis(pid);
    if (ms !== undefined) postgres.set(pid, ms);
  }
  const machine = machineTicks();
  return {
    node: cpuMillis(node.child.pid as number),
    postgres,
    broker: brokerPid() === undefined ? undefined : cpuMillis(brokerPid() as number),
    receiver: receiverPid === undefined ? undefined : cpuMillis(receiverPid),
    machineTotal: machine?.total,
    machineIdle: machine?.idle,
  };
}

/** The system Mosquitto's pid, when the benchmark uses it (BENCH_BROKER_PID names another broker's). */
function brokerPid(): number | undefined {
  try {
    const text = process.env.BENCH_BROKER_PID ?? (BROKER_URL === 'mqtt://127.0.0.1:1883' ? readFileSync('/run/mosquitto/mosquitto.pid', 'utf8') : '');
    const pid = Number(text.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** All cores' CPU ticks from /proc/stat: total and idle (idle + iowait). */
function machineTicks(): { total: number; idle: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
    return { total: fields.reduce((a, b) => a + b, 0), idle: fields[3] + fields[4] };
  } catch {
    return undefined;
  }
}

/** A realistic ~600-byte shipping ObjectEvent with its own eventID. */
function eventPayload(i: number): string {
  return JSON.stringify({
    type: 'ObjectEvent',
    eventID: eventIdOf(i),
    eventTime: new Date(Date.UTC(2025, 0, 15, 8) + i).toISOString().replace('Z', '+00:00'),
    eventTimeZoneOffset: '+08:00',
    epcList: [`hdl:${PREFIX}/BENCH-${i}`, `urn:epc:id:sgtin:0614141.107346.${i}`],
    action: 'OBSERVE',
    bizStep: 'shipping',
    disposition: 'in_transit',
    readPoint: { id: readPointOf(i % 100) },
    bizLocation: { id: 'https://id.gs1.org/414/9506000134376' },
    bizTransactionList: [{ type: 'po', bizTransaction: `urn:epcglobal:cbv:bt:9506000134376:PO-${i}` }],
  });
}

/** The median of the values: the middle one, or the mean of the middle two for an even count. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function report(results: RunResult[], settings: Record<string, number>, latency?: LatencyResult): void {
  const at = new Date().toISOString();
  const stamp = at.replace(/[:.]/g, '-');
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const raw = results.filter((r) => r.scenario === 'raw-broker');
  const nodes = results.filter((r) => r.scenario === 'node-committed');
  const subscribedRuns = results.filter((r) => r.scenario === 'node-committed-subscribed');
  const count = (n: number) => Math.round(n).toLocaleString('en');
  const span = (values: number[]) => `${count(Math.min(...values))}–${count(Math.max(...values))}`;
  /** A statistic of a per-run figure over the runs that have it ('–' when none does), to one decimal. */
  const figureOf = (runs: RunResult[], pick: (r: RunResult) => number | undefined, statistic: (values: number[]) => number) => {
    const values = runs.map(pick).filter((v): v is number => v !== undefined);
    return values.length === 0 ? '–' : String(round(statistic(values), 1));
  };
  const medianOf = (pick: (r: RunResult) => number | undefined) => figureOf(nodes, pick, median);
  const meanOf = (runs: RunResult[], pick: (r: RunResult) => number | undefined) => figureOf(runs, pick, (values) => values.reduce((sum, v) => sum + v, 0) / values.length);
  const cell = (v: number | undefined) => (v === undefined ? '–' : String(v));
  const over = nodes.length % 2 === 1 ? `median of ${nodes.length} rounds` : `median of ${nodes.length} rounds (mean of the middle two)`;
  const nodeMedian = median(nodes.map((r) => r.perSecond));
  const lines = [
    `# Ingestion benchmark (${at})`,
    '',
    `EPCIS ObjectEvents (~600 B, one per message) published at QoS 1 from a separate process through Mosquitto (${BROKER_URL}).`,
    `node-committed: counted when the node acknowledged them (PUBACK after the batch commit), from the publisher's first message to the last commit, checked in PostgreSQL.`,
    `raw-broker: a bare MQTT.js subscriber process, same shared-subscription shape, acknowledging on receipt.`,
    `CPU ms per 1,000 events (user + system) of the node process, its PostgreSQL backends, Mosquitto, the publisher and (runs with subscriptions) the webhook receiver, from the first publish to the last acknowledgement; machine busy = share of both cores in use meanwhile (other load included).`,
    `Settings: ${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(', ')}. Machine: 2 cores shared by publisher, broker, node and PostgreSQL.`,
    '',
    '| round | scenario | events | seconds | events/s | × raw | mean batch | mean commit ms | CPU node | CPU PostgreSQL | CPU Mosquitto | CPU publisher | CPU receiver | machine busy % |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map((r, i) => {
      const rawIndex = results.slice(0, i + 1).map((x) => x.scenario).lastIndexOf('raw-broker');
      const baseline = results[rawIndex];
      const roundNumber = results.slice(0, rawIndex + 1).filter((x) => x.scenario === 'raw-broker').length;
      return (
        `| ${roundNumber} | ${r.scenario} | ${count(r.events)} | ${r.seconds} | ${count(r.perSecond)} | ${round(r.perSecond / baseline.perSecond, 2)} | ` +
        `${cell(r.meanBatchEvents)} | ${cell(r.meanCommitMs)} | ${cell(r.nodeCpuMsPer1000)} | ${cell(r.postgresCpuMsPer1000)} | ${cell(r.brokerCpuMsPer1000)} | ${cell(r.publisherCpuMsPer1000)} | ${cell(r.receiverCpuMsPer1000)} | ${cell(r.machineBusyPercent)} |`
      );
    }),
    '',
    `Node: ${count(nodeMedian)} events/s committed, ${over} (runs ${span(nodes.map((r) => r.perSecond))}); ` +
      `CPU per 1,000 events (${over}): node ${medianOf((r) => r.nodeCpuMsPer1000)} ms, PostgreSQL ${medianOf((r) => r.postgresCpuMsPer1000)} ms, ` +
      `Mosquitto ${medianOf((r) => r.brokerCpuMsPer1000)} ms, publisher ${medianOf((r) => r.publisherCpuMsPer1000)} ms.`,
    `Raw broker: ${count(median(raw.map((r) => r.perSecond)))} msg/s, ${over.replace(/ \(.*\)/, '')} (runs ${span(raw.map((r) => r.perSecond))}).`,
    `Target ≥ 8,000 events/s committed: ${nodeMedian >= 8000 ? 'met' : 'NOT met'}.`,
  ];
  if (subscribedRuns.length > 0) {
    const withMedian = median(subscribedRuns.map((r) => r.perSecond));
    const medianChange = (100 * (withMedian - nodeMedian)) / nodeMedian;
    // All events of each kind of run over all their seconds: the runs alternate (ABBA), so what
    // slows the machine for a while (a checkpoint, autovacuum, another process) weighs on both.
    const pooled = (runs: RunResult[]) => runs.reduce((sum, r) => sum + r.events, 0) / runs.reduce((sum, r) => sum + r.seconds, 0);
    const pooledPlain = pooled(nodes);
    const pooledWith = pooled(subscribedRuns);
    const change = (100 * (pooledWith - pooledPlain)) / pooledPlain;
    const perRound = subscribedRuns.map((r) => {
      // The run without subscriptions of the same round: just before or just after it (they alternate).
      const index = results.indexOf(r);
      const plain = results[index - 1]?.scenario === 'node-committed' ? results[index - 1] : results[index + 1];
      return round((100 * (r.perSecond - plain.perSecond)) / plain.perSecond, 1);
    });
    lines.push(
      '',
      `## With ${settings.subscriptions} subscriptions`,
      '',
      `node-committed-subscribed: the same run with ${settings.subscriptions} webhook subscriptions active, before or after the run without them (they take turns round by round) (100 named queries EQ_readPoint, one per read point; the events cycle through the read points, so every event is delivered once, to one subscription; the receiver is a separate process on loopback). Every event of these runs was delivered before the next run started.`,
      `Node with subscriptions: ${count(pooledWith)} events/s committed over all ${subscribedRuns.length} runs (their events over their seconds), ` +
        `${round(change, 1)} % against ${count(pooledPlain)} without; median of the runs ${count(withMedian)} against ${count(nodeMedian)} (${round(medianChange, 1)} %), ` +
        `per round: ${perRound.map((v) => `${v} %`).join(', ')}. Target at most 10 % below (all runs): ${change >= -10 ? 'met' : 'NOT met'}.`,
      `CPU per 1,000 events, mean over the runs without → with subscriptions: ${(
        [
          ['node', (r: RunResult) => r.nodeCpuMsPer1000],
          ['PostgreSQL', (r: RunResult) => r.postgresCpuMsPer1000],
          ['Mosquitto', (r: RunResult) => r.brokerCpuMsPer1000],
          ['publisher', (r: RunResult) => r.publisherCpuMsPer1000],
        ] as const
      )
        .map(([name, pick]) => `${name} ${meanOf(nodes, pick)} → ${meanOf(subscribedRuns, pick)} ms`)
        .join(', ')}, webhook receiver ${meanOf(subscribedRuns, (r) => r.receiverCpuMsPer1000)} ms; database transactions ${meanOf(nodes, (r) => r.transactionsPer1000)} → ${meanOf(subscribedRuns, (r) => r.transactionsPer1000)}.`,
      `Per subscribed run (node /metrics): ${subscribedRuns
        .map((r) => `${count(r.deliveries ?? 0)} deliveries (${round(r.events / Math.max(1, r.deliveries ?? 0), 1)} events each), ${count(r.feedAdvances ?? 0)} feed advances, ${count(r.scopeReads ?? 0)} scope reads, feed events handed ${count(r.feedHanded ?? 0)} / read back ${count(r.feedReadBack ?? 0)}`)
        .join('; ')}.`,
    );
  }
  if (latency) {
    lines.push(
      '',
      `Delivery latency, publish call → receiver has the event, ${latency.subscriptions} subscriptions, paced at ${count(latency.targetRate)} events/s ` +
        `(published ${count(latency.events)} in ${latency.publishSeconds} s = ${count(latency.publishedPerSecond)}/s; machine busy ${cell(latency.machineBusyPercent)} %): ` +
        `p50 ${latency.p50Ms} ms, p90 ${latency.p90Ms} ms, p99 ${latency.p99Ms} ms, max ${latency.maxMs} ms (of which the batch commit: mean ${latency.meanCommitMs} ms; publish → record time p50 ${latency.split.toRecordP50Ms} / p99 ${latency.split.toRecordP99Ms} ms, record time → receiver p50 ${latency.split.fromRecordP50Ms} / p99 ${latency.split.fromRecordP99Ms} ms); delivered ${count(latency.delivered)} of ${count(latency.events)}, ${latency.duplicates} duplicates. ` +
        `Target p99 ≤ 1 s at 5,000 events/s: ${latency.p99Ms <= 1000 && latency.delivered === latency.events && latency.publishedPerSecond >= 0.95 * latency.targetRate ? 'met' : 'NOT met'}.`,
    );
  }
  writeFileSync(join(dir, `ingestion-${stamp}.json`), JSON.stringify({ suite: 'ingestion', at, settings, results, latency }, null, 2));
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
  const rate = Number(process.env.BENCH_RATE ?? 0);
  const payloads = Array.from({ length: total }, (_, i) => eventPayload(offset + i));
  // Paced runs (BENCH_RATE events/s) record when each event was handed to MQTT.js, for the latency figures.
  const sentAt = rate > 0 ? new Array<number>(total).fill(0) : undefined;
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
  const cpuAtStart = process.cpuUsage();
  process.send?.({ type: 'started' });
  await new Promise<void>((resolve) => {
    let waiting = false;
    const pump = () => {
      const allowed = rate > 0 ? Math.min(total, Math.floor(((Date.now() - startedAt) * rate) / 1000) + 1) : total;
      while (sent < allowed && sent - acked < window && sent - consumed < ahead && !failed) {
        if (sentAt) sentAt[sent] = Date.now();
        client.publish(topic, payloads[sent], { qos: 1 }, (error) => {
          if (error) failed = error;
          acked += 1;
          if (acked === total) resolve();
          else setImmediate(pump);
        });
        sent += 1;
      }
      if (sent < total && (sent - consumed >= ahead || sent >= allowed) && !waiting) {
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
  const cpu = process.cpuUsage(cpuAtStart);
  await new Promise((resolve) => client.end(false, {}, resolve));
  process.send?.(failed ? { type: 'error', message: failed.message } : { type: 'done', startedAt, endedAt, cpuMs: (cpu.user + cpu.system) / 1000, sentAt });
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

/**
 * The subscriptions' webhook receiver: records when each event (by the index in its eventID) first
 * arrived and how many arrived again, answers 204, reports progress; on 'expect' it says 'complete'
 * once every event of the range has arrived; on 'dump' it sends the receive times of a range.
 *
 * It shares the 2 cores with what it measures, so it does little per event: the eventIDs are found
 * in the body's bytes (every occurrence counts: an event sent twice, or an eventID written twice in
 * one event, shows as a duplicate) and receive times kept in a typed array. Every 50th delivery is
 * also parsed as JSON and must be an EPCISQueryDocument whose eventList holds exactly the events
 * found in its bytes; a body that is not stops the run.
 */
async function receiverRole(): Promise<void> {
  /** Receive time (ms since the epoch) by event index; 0: not received yet. Grown as indexes come. */
  let firstAt = new Float64Array(1 << 16);
  let distinct = 0;
  let total = 0;
  let duplicates = 0;
  let deliveries = 0;
  let expecting: { from: number; to: number } | undefined;
  let checkedUpTo = 0;
  const complete = () => {
    if (!expecting) return;
    // Indexes before checkedUpTo were all seen already: each check goes on from where the last stopped.
    for (let i = Math.max(expecting.from, checkedUpTo); i < expecting.to; i += 1) {
      if (i >= firstAt.length || firstAt[i] === 0) return;
      checkedUpTo = i + 1;
    }
    expecting = undefined;
    process.send?.({ type: 'complete' });
  };
  const mark = Buffer.from(`"eventID":"${eventIdOf(0).slice(0, -12)}`, 'latin1');
  const note = (index: number, now: number) => {
    total += 1;
    if (index >= firstAt.length) {
      const grown = new Float64Array(Math.max(index + 1, firstAt.length * 2));
      grown.set(firstAt);
      firstAt = grown;
    }
    if (firstAt[index] !== 0) duplicates += 1;
    else {
      firstAt[index] = now;
      distinct += 1;
    }
  };
  let checkPending = false;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const now = Date.now();
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      const found: number[] = [];
      for (let at = body.indexOf(mark); at >= 0; at = body.indexOf(mark, at + mark.length + 12)) {
        const index = parseInt(body.toString('latin1', at + mark.length, at + mark.length + 12), 16);
        if (!Number.isInteger(index)) throw new Error(`an eventID that is not one of the benchmark's: ${body.toString('utf8', at, at + 80)}`);
        found.push(index);
        note(index, now);
      }
      deliveries += 1;
      if (deliveries % 50 === 1) {
        const document = JSON.parse(body.toString('utf8'));
        const listed = (document?.epcisBody?.queryResults?.resultsBody?.eventList as Array<{ eventID: string }> | undefined)?.map((event) => parseInt(event.eventID.slice(-12), 16));
        if (document?.type !== 'EPCISQueryDocument' || !listed || listed.join(',') !== found.join(',')) {
          throw new Error(`delivery ${deliveries} is not the EPCISQueryDocument of the events its bytes name (${found.length} found, ${listed?.length ?? 'no'} listed)`);
        }
      }
      response.writeHead(204).end();
      if (expecting && !checkPending) {
        checkPending = true;
        setTimeout(() => {
          checkPending = false;
          complete();
        }, 50);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.on('message', (m: any) => {
    if (m.type === 'expect') {
      expecting = { from: m.from, to: m.to };
      checkedUpTo = m.from;
      complete();
    } else if (m.type === 'dump') {
      const receivedAt: number[] = [];
      for (let i = m.from; i < m.to; i += 1) receivedAt.push(i < firstAt.length ? firstAt[i] : 0);
      process.send?.({ type: 'dump', receivedAt, duplicates });
    }
  });
  setInterval(() => process.send?.({ type: 'progress', total, distinct }), 100);
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
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
} else if (role === 'receiver') {
  receiverRole().catch((error: Error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  });
} else if (role === 'subscriber') {
  subscriberRole().catch((error: Error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  });
}
