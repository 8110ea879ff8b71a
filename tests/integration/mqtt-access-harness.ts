import { randomBytes, randomUUID } from 'node:crypto';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { EnterpriseFixture, TestNode } from '../support/test-node';
import { waitFor } from '../support/wait-for';
import { countRows, endClient, objectEvent } from './ingestion-harness';

/**
 * The broker-side rules of MQTT credentials, checked the same way against each broker (the
 * embedded aedes and a Mosquitto with dynamic security): anonymous refused, an enterprise publishes
 * only under its own prefix, revoked and deactivated credentials are refused and their live
 * sessions closed.
 */

export interface Credential {
  id: string;
  username: string;
  password: string;
}

export async function createCredential(node: TestNode, enterprise: EnterpriseFixture): Promise<Credential> {
  const reply = await node.request('POST', `/api/v1/enterprises/${enterprise.enterpriseId}/mqtt-credentials`, { token: enterprise.token, body: { label: 'test' } });
  if (reply.status !== 201) throw new Error(`credential not created: ${reply.status} ${reply.text}`);
  return { id: reply.body.id, username: reply.body.username, password: reply.body.password };
}

/** Connects, or rejects with the broker's refusal (CONNACK return/reason code in `code`). */
export function tryConnect(url: string, options: IClientOptions): Promise<MqttClient> {
  const client = connect(url, { clientId: `acc-${randomBytes(5).toString('hex')}`, reconnectPeriod: 0, connectTimeout: 5000, ...options });
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', (error) => {
      client.end(true);
      reject(error);
    });
    client.once('close', () => reject(new Error('connection closed before CONNACK')));
  });
}

/** What became of one QoS 1 publish: acknowledged, refused by a negative PUBACK, or the connection closed. */
export function publishOutcome(client: MqttClient, topic: string, payload: string): Promise<'acked' | 'refused' | 'closed'> {
  return new Promise((resolve) => {
    const onClose = () => resolve('closed');
    client.once('close', onClose);
    client.publish(topic, payload, { qos: 1 }, (error) => {
      client.removeListener('close', onClose);
      if (!error) return resolve('acked');
      resolve(/closed|disconnect/i.test(error.message) ? 'closed' : 'refused');
    });
  });
}

export function closed(client: MqttClient): Promise<true> {
  return new Promise((resolve) => (client.connected ? client.once('close', () => resolve(true)) : resolve(true)));
}

/** The granted QoS, or the failure code (≥ 0x80) of a refused subscription (MQTT.js reports it as an error). */
export function subscribeGranted(client: MqttClient, topic: string): Promise<number> {
  return new Promise((resolve) =>
    client.subscribe(topic, { qos: 1 }, (error, granted, packet) => {
      if (error) return resolve((packet as { granted?: number[] } | undefined)?.granted?.[0] ?? 0x80);
      resolve(granted?.[0]?.qos ?? -1);
    }),
  );
}

export interface BrokerUnderTest {
  node: TestNode;
  url: string;
  protocolVersion: 4 | 5;
  operatorToken: string;
  entA: EnterpriseFixture;
  entB: EnterpriseFixture;
  /** An enterprise that the last case deactivates. */
  entC: EnterpriseFixture;
}

const stored = (node: TestNode, eventId: string) => countRows(node, 'SELECT 1 FROM epcis_events WHERE event_id = $1', [eventId]);

/** Registers the shared cases in the calling describe block. */
export function brokerAccessCases(get: () => BrokerUnderTest): void {
  const clients: MqttClient[] = [];
  const track = (client: MqttClient) => {
    clients.push(client);
    return client;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => endClient(client)));
  });

  const open = async (credential: Credential | undefined) => {
    const { url, protocolVersion } = get();
    return track(await tryConnect(url, { protocolVersion, ...(credential ? { username: credential.username, password: credential.password } : {}) }));
  };

  it('refuses anonymous clients and wrong passwords', async () => {
    const { node, entA } = get();
    await expect(open(undefined)).rejects.toThrow(/not authori[sz]ed|bad user ?name or password|connection refused/i);
    const credential = await createCredential(node, entA);
    await expect(open({ ...credential, password: `${credential.password}x` })).rejects.toThrow(/not authori[sz]ed|bad user ?name or password|connection refused/i);
    await expect(open({ ...credential, username: `${credential.username}x` })).rejects.toThrow(/not authori[sz]ed|bad user ?name or password|connection refused/i);
  });

  it("lets A publish on its own topic (stored) but not on B's (refused, never stored)", async () => {
    const { node, entA, entB } = get();
    const credential = await createCredential(node, entA);
    const own = objectEvent({ epcs: [`hdl:${entA.prefix}/OWN-1`] });
    const client = await open(credential);
    expect(await publishOutcome(client, `idis/v1/${entA.prefix}/events`, JSON.stringify(own))).toBe('acked');
    await waitFor('A\'s event stored', async () => (await stored(node, own.eventID as string)) === 1);

    // Forging B's events: the topic alone would make them B's.
    const forged = objectEvent({ epcs: [`hdl:${entB.prefix}/FORGED-1`], eventID: `urn:uuid:${randomUUID()}` });
    expect(await publishOutcome(client, `idis/v1/${entB.prefix}/events`, JSON.stringify(forged))).not.toBe('acked');
    // The node's feedback topic of its own prefix is the node's, not the enterprise's.
    const again = await open(credential);
    expect(await publishOutcome(again, `idis/v1/${entA.prefix}/rejects`, '{"forged":true}')).not.toBe('acked');
    // A later event of A's arrives: the forged one was not merely slow.
    const later = objectEvent({ epcs: [`hdl:${entA.prefix}/OWN-2`] });
    const third = await open(credential);
    expect(await publishOutcome(third, `idis/v1/${entA.prefix}/events`, JSON.stringify(later))).toBe('acked');
    await waitFor('the later event stored', async () => (await stored(node, later.eventID as string)) === 1);
    expect(await stored(node, forged.eventID as string)).toBe(0);
    expect(await countRows(node, `SELECT 1 FROM epcis_rejects WHERE payload::text LIKE $1`, [`%${forged.eventID}%`])).toBe(0);
  });

  it('lets an enterprise subscribe to its own feedback topics only', async () => {
    const { node, entA, entB } = get();
    const client = await open(await createCredential(node, entA));
    expect(await subscribeGranted(client, `idis/v1/${entA.prefix}/rejects`)).toBe(1);
    expect(await subscribeGranted(client, `idis/v1/${entB.prefix}/rejects`)).toBeGreaterThanOrEqual(0x80);
    expect(await subscribeGranted(client, 'idis/v1/+/events')).toBeGreaterThanOrEqual(0x80);
  });

  it('refuses a revoked credential at once and closes its live session', async () => {
    const { node, entA } = get();
    const credential = await createCredential(node, entA);
    const live = await open(credential);
    const ended = closed(live);
    const revoked = await node.request('DELETE', `/api/v1/enterprises/${entA.enterpriseId}/mqtt-credentials/${credential.id}`, { token: entA.token });
    expect(revoked.status).toBe(204);
    await expect(ended).resolves.toBe(true);
    await expect(open(credential)).rejects.toThrow(/not authori[sz]ed|bad user ?name or password|connection refused/i);
  });

  it("refuses a deactivated enterprise's credential and closes its live session", async () => {
    const { node, entC, operatorToken } = get();
    const credential = await createCredential(node, entC);
    const live = await open(credential);
    const ended = closed(live);
    const reply = await node.request('POST', `/api/v1/enterprises/${entC.enterpriseId}/deactivate`, { token: operatorToken, body: { reason: 'test' } });
    expect(reply.status).toBe(200);
    await expect(ended).resolves.toBe(true);
    await expect(open(credential)).rejects.toThrow(/not authori[sz]ed|bad user ?name or password|connection refused/i);
  });
}
