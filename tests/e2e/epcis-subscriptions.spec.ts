import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { epcisDocument } from '../support/epcis-seed';
import { freePort } from '../support/free-port';
import { fetchMetrics, metricSample } from '../support/metrics-text';
import { request } from '../support/http';
import { NodeProcess } from '../support/node-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { applicationBody, OPERATOR_PASSWORD } from '../support/test-node';
import { waitFor } from '../support/wait-for';

/**
 * EPCIS subscriptions end to end, over real sockets: two secondary-node replicas (the built dist,
 * real processes) on one PostgreSQL; a partner subscribes a named query by webhook (a receiver
 * in this process that checks the HMAC signature, fails for a while and recovers) and by
 * WebSocket (a real `ws` client). Events are captured through both replicas while the receiver is
 * down and while a replica is killed and started again; afterwards the receiver holds every
 * matching event the partner may read exactly once, in record-time order, and nothing else.
 */
const A = '88.118.40';
const C = '88.118.41';
const B = '88.118.42';
const SECRET = 'partner-webhook-secret-1';

function http(base: string, method: string, path: string, body?: unknown, token?: string) {
  return request(base, method, path, { body, token, redirect: 'follow' });
}

interface Delivery {
  eventIds: string[];
  signatureValid: boolean;
  subscriptionId: string | undefined;
}

/** The partner's webhook receiver: answers 503 while `failing`, else 200; records every delivery it acknowledged. */
class Receiver {
  failing = false;
  readonly acknowledged: Delivery[] = [];
  refused = 0;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/epcis-callback`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  eventIds(): string[] {
    return this.acknowledged.flatMap((delivery) => delivery.eventIds);
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (this.failing) {
      this.refused += 1;
      res.writeHead(503).end();
      return;
    }
    const timestamp = String(req.headers['gs1-signature-timestamp'] ?? '');
    const expected = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex')}`);
    const given = Buffer.from(String(req.headers['gs1-signature'] ?? ''));
    const document = JSON.parse(body);
    this.acknowledged.push({
      eventIds: document.epcisBody.queryResults.resultsBody.eventList.map((event: { eventID: string }) => event.eventID),
      signatureValid: given.length === expected.length && timingSafeEqual(given, expected),
      subscriptionId: req.headers['gs1-subscription-id'] as string | undefined,
    });
    res.writeHead(204).end();
  }
}

function shipping(prefix: string, serial: string, bizStep = 'shipping'): Record<string, unknown> {
  return {
    type: 'ObjectEvent',
    eventID: `urn:uuid:${randomUUID()}`,
    eventTime: '2025-01-15T08:00:00.000+08:00',
    eventTimeZoneOffset: '+08:00',
    epcList: [`hdl:${prefix}/SUB-${serial}`],
    action: 'OBSERVE',
    bizStep,
  };
}

/** One sample of the node's /metrics (name with its labels as printed), or NaN when it is not there. */
async function metric(base: string, series: string): Promise<number> {
  return metricSample(await fetchMetrics(base), series) ?? Number.NaN;
}

describe('EPCIS subscriptions: webhook and WebSocket, two replicas, receiver outage, node restart', () => {
  let db: TestDatabase;
  let receiver: Receiver;
  const nodes: Array<NodeProcess | undefined> = [undefined, undefined];
  const bases: string[] = ['', ''];
  let env: Record<string, string>;

  afterAll(async () => {
    for (const node of nodes) await node?.stop();
    await receiver?.stop();
    await db?.drop();
  }, 120_000);

  it('delivers every matching event once, in record-time order, through an outage and a restart; a revoked grant stops delivery', async () => {
    db = await createTestDatabase('subscriptions');
    receiver = new Receiver();
    await receiver.start();
    env = {
      DATABASE_URL: db.url,
      OPERATOR_PASSWORD,
      JWT_SECRET: randomBytes(32).toString('hex'),
      HOST: '127.0.0.1',
      EPCIS_WEBHOOK_ALLOW_PRIVATE: 'true',
      EPCIS_WEBHOOK_RETRY_BASE_MS: '200',
      EPCIS_WEBHOOK_RETRY_MAX_MS: '1000',
      EPCIS_SUBSCRIPTION_MAX_IN_FLIGHT: '25',
      EPCIS_SUBSCRIPTION_POLL_MS: '100',
    };
    const start = async (index: number) => {
      nodes[index] = NodeProcess.spawn({ ...env, PORT: String(await freePort()) });
      bases[index] = await (nodes[index] as NodeProcess).ready();
    };
    await start(0);
    await start(1);

    // Enterprises A, B and C; a partner that A and C grant (not B).
    const operator = (await http(bases[0], 'POST', '/api/v1/auth/token', { username: 'operator', password: OPERATOR_PASSWORD })).body.accessToken as string;
    const enterprise = async (prefix: string, username: string) => {
      const application = await http(bases[0], 'POST', '/api/v1/enterprises/applications', applicationBody(prefix, username));
      expect(application.status).toBe(201);
      const approved = await http(bases[0], 'POST', `/api/v1/enterprises/applications/${application.body.id}/approve`, {}, operator);
      expect(approved.status).toBe(200);
      const token = (await http(bases[0], 'POST', '/api/v1/auth/token', { username, password: 'enterprise-pass-1' })).body.accessToken as string;
      return { id: approved.body.enterpriseId as string, token };
    };
    const a = await enterprise(A, 'sub-ent-a');
    const b = await enterprise(B, 'sub-ent-b');
    const c = await enterprise(C, 'sub-ent-c');
    expect((await http(bases[0], 'POST', '/api/v1/partners', { username: 'sub-partner', password: 'partner-pass-1', orgName: 'Distributor Ltd.' }, operator)).status).toBe(201);
    const partner = (await http(bases[0], 'POST', '/api/v1/auth/token', { username: 'sub-partner', password: 'partner-pass-1' })).body.accessToken as string;
    const grantOfA = await http(bases[0], 'POST', `/api/v1/enterprises/${a.id}/grants`, { granteeUsername: 'sub-partner' }, a.token);
    expect(grantOfA.status).toBe(201);
    expect((await http(bases[0], 'POST', `/api/v1/enterprises/${c.id}/grants`, { granteeUsername: 'sub-partner' }, c.token)).status).toBe(201);

    // The partner's named query and its webhook subscription (created on replica two).
    expect((await http(bases[1], 'POST', '/epcis/queries', { name: 'shipped', query: { EQ_bizStep: ['shipping'] } }, partner)).status).toBe(201);
    const subscription = await http(bases[1], 'POST', '/epcis/queries/shipped/subscriptions', { dest: receiver.url, signatureToken: SECRET, stream: true }, partner);
    expect(subscription.status).toBe(201);
    // A stranger cannot see the partner's query, nor subscribe to it.
    expect((await http(bases[0], 'POST', '/epcis/queries/shipped/subscriptions', { dest: receiver.url, signatureToken: SECRET, stream: true }, b.token)).status).toBe(404);

    // A WebSocket subscription to the same query, on replica one.
    const streamed: string[] = [];
    const ws = new WebSocket(`${bases[0].replace('http', 'ws')}/epcis/queries/shipped/events?stream=true`, { headers: { authorization: `Bearer ${partner}` } });
    ws.on('message', (data) => {
      const document = JSON.parse(data.toString());
      streamed.push(...document.epcisBody.queryResults.resultsBody.eventList.map((event: { eventID: string }) => event.eventID));
    });
    ws.on('error', () => undefined);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket upgrade refused: ${res.statusCode}`)));
    });

    let serial = 0;
    const capture = async (base: string, token: string, prefix: string, count: number, bizStep = (i: number) => (i % 2 === 0 ? 'shipping' : 'receiving')) => {
      const events = Array.from({ length: count }, (_, i) => shipping(prefix, String((serial += 1)), bizStep(i)));
      const reply = await http(base, 'POST', '/epcis/capture', epcisDocument(events), token);
      expect(reply.status).toBe(202);
      return events;
    };
    const captureRounds = async (rounds: number) => {
      for (let round = 0; round < rounds; round += 1) {
        await capture(round % 2 === 0 ? bases[0] : bases[1], a.token, A, 20);
        await capture(round % 2 === 0 ? bases[1] : bases[0], b.token, B, 10, () => 'shipping');
        await capture(round % 2 === 0 ? bases[0] : bases[1], c.token, C, 6);
      }
    };
    /** What the partner may read and the query matches, in record-time order (the order deliveries must keep). */
    const expected = async (): Promise<string[]> =>
      (
        await db.client.query<{ event_id: string }>(
          `SELECT event_id FROM epcis_events WHERE biz_step = 'shipping' AND enterprise_prefix = ANY($1::text[]) AND record_time >= $2::timestamptz
            ORDER BY record_time, event_id COLLATE "C"`,
          [[A, C], subscription.body.initialRecordTime],
        )
      ).rows.map((row) => row.event_id);

    // 1. The receiver is up: events captured through both replicas arrive.
    await captureRounds(4);
    const firstWave = await expected();
    expect(firstWave.length).toBe(4 * (10 + 3));
    await waitFor('the first wave at the webhook', () => receiver.eventIds().length >= firstWave.length, { timeoutMs: 60_000, intervalMs: 100 });
    expect(receiver.eventIds()).toEqual(firstWave);
    await waitFor('the first wave over the WebSocket', () => streamed.length >= firstWave.length, { timeoutMs: 60_000, intervalMs: 100 });
    expect(streamed).toEqual(firstWave);
    // /metrics of the two replicas: every event went out twice (webhook, WebSocket), once each; replica one holds the WebSocket.
    const delivered = () => Promise.all(bases.map((base) => metric(base, 'idis_epcis_subscription_events_delivered_total'))).then(([x, y]) => x + y);
    await waitFor('the deliveries to be counted', async () => (await delivered()) >= 2 * firstWave.length, { timeoutMs: 10_000, intervalMs: 100 });
    expect(await delivered()).toBe(2 * firstWave.length);
    expect(await metric(bases[0], 'idis_epcis_subscriptions_delivering{transport="websocket"}')).toBe(1);
    expect(await metric(bases[1], 'idis_epcis_subscriptions_delivering{transport="websocket"}')).toBe(0);
    const webhooks = await Promise.all(bases.map((base) => metric(base, 'idis_epcis_subscriptions_delivering{transport="webhook"}')));
    expect(webhooks.sort()).toEqual([0, 1]);
    // Replica one's feed runs (it holds the WebSocket): its own commits were handed over, replica two's read back.
    const handed = await metric(bases[0], 'idis_epcis_feed_events_total{source="handed"}');
    const readBack = await metric(bases[0], 'idis_epcis_feed_events_total{source="read_back"}');
    expect(handed).toBeGreaterThan(0);
    expect(readBack).toBeGreaterThan(0);
    expect(handed + readBack).toBeLessThanOrEqual(4 * (20 + 10 + 6));

    // 2. The receiver fails: nothing is acknowledged, the node retries with backoff.
    receiver.failing = true;
    await captureRounds(3);
    await waitFor('a refused delivery', () => receiver.refused >= 2, { timeoutMs: 30_000, intervalMs: 100 });
    const state = await http(bases[1], 'GET', `/epcis/queries/shipped/subscriptions/${subscription.body.subscriptionID}`, undefined, partner);
    expect(state.status).toBe(200);
    expect(state.body.lastError).toMatch(/HTTP 503/);
    expect(state.body.attempts).toBeGreaterThanOrEqual(1);
    const failed = () => Promise.all(bases.map((base) => metric(base, 'idis_epcis_subscription_deliveries_total{outcome="failed"}'))).then(([x, y]) => x + y);
    await waitFor('the refusals to be counted', async () => (await failed()) >= 2, { timeoutMs: 10_000, intervalMs: 100 });
    const failures = await failed();
    expect(failures).toBeLessThanOrEqual(receiver.refused);

    // 3. Replica one is killed while the receiver is still down, more events come through replica two, then one starts again.
    (nodes[0] as NodeProcess).child.kill('SIGKILL');
    await waitFor('replica one to die', () => (nodes[0] as NodeProcess).child.signalCode === 'SIGKILL', { timeoutMs: 10_000, intervalMs: 50 });
    for (let round = 0; round < 2; round += 1) {
      await capture(bases[1], a.token, A, 20);
      await capture(bases[1], c.token, C, 6);
    }
    await start(0);
    await captureRounds(1);
    // Replica two is stopped gracefully too (its leases are handed over), and started again.
    await (nodes[1] as NodeProcess).stop();
    await start(1);
    await captureRounds(1);

    // 4. The receiver recovers: it gets the whole backlog, then everything else, once each and in order.
    receiver.failing = false;
    const all = await expected();
    await waitFor('the backlog at the webhook', () => receiver.eventIds().length >= all.length, { timeoutMs: 120_000, intervalMs: 200 });
    const received = receiver.eventIds();
    expect(new Set(received).size).toBe(received.length);
    expect(received).toEqual(all);
    expect(receiver.acknowledged.every((delivery) => delivery.signatureValid)).toBe(true);
    expect(receiver.acknowledged.every((delivery) => delivery.eventIds.length <= 25)).toBe(true);
    expect(new Set(receiver.acknowledged.map((delivery) => delivery.subscriptionId))).toEqual(new Set([subscription.body.subscriptionID]));
    const ofB = await db.client.query<{ event_id: string }>(`SELECT event_id FROM epcis_events WHERE enterprise_prefix = $1`, [B]);
    expect(ofB.rows.length).toBeGreaterThan(0);
    expect(received.filter((id) => ofB.rows.some((row) => row.event_id === id))).toEqual([]);
    // The WebSocket was on the killed replica: it got the first wave, once each, and was closed.
    expect(new Set(streamed).size).toBe(streamed.length);
    expect(all.slice(0, streamed.length)).toEqual(streamed);

    // 5. A revokes the partner's grant: A's events recorded after the revocation are never delivered,
    //    C's (recorded after them) still are.
    const grants = await http(bases[0], 'GET', `/api/v1/enterprises/${a.id}/grants`, undefined, a.token);
    const grant = grants.body.items.find((g: { grantee: { username: string } }) => g.grantee.username === 'sub-partner');
    expect((await http(bases[0], 'DELETE', `/api/v1/enterprises/${a.id}/grants/${grant.id}`, undefined, a.token)).status).toBe(204);
    const afterRevocation = await capture(bases[1], a.token, A, 10, () => 'shipping');
    const marker = await capture(bases[0], c.token, C, 2, () => 'shipping');
    await waitFor('C’s events after the revocation', () => marker.every((event) => receiver.eventIds().includes(event.eventID as string)), { timeoutMs: 60_000, intervalMs: 100 });
    const final = receiver.eventIds();
    expect(final.filter((id) => afterRevocation.some((event) => event.eventID === id))).toEqual([]);
    expect(new Set(final).size).toBe(final.length);
    // One capture is one transaction: its events share a record time and follow each other by eventID.
    expect(final.slice(all.length)).toEqual(marker.map((event) => event.eventID as string).sort());

    // The subscription's state says how far it got; the partner deletes it and deliveries stop.
    // (The position is saved just after the receiver's answer: wait for it.)
    const done = await waitFor('the subscription to record its last delivery', async () => {
      const reply = await http(bases[0], 'GET', `/epcis/queries/shipped/subscriptions/${subscription.body.subscriptionID}`, undefined, partner);
      return reply.body.deliveredEvents === final.length ? reply : undefined;
    }, { timeoutMs: 10_000, intervalMs: 100 });
    expect(done.body).toMatchObject({ attempts: 0, lastError: null, deliveredEvents: final.length });
    expect((await http(bases[0], 'DELETE', `/epcis/queries/shipped/subscriptions/${subscription.body.subscriptionID}`, undefined, partner)).status).toBe(204);
  }, 420_000);
});
