import { randomBytes, randomUUID } from 'node:crypto';
import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { TestNode } from '../support/test-node';
import { waitFor } from '../support/wait-for';

/** The real Mosquitto of the test machine. */
export const MOSQUITTO_URL = process.env.TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

/**
 * Env for a node that ingests from the real Mosquitto, isolated from every other test: its own
 * topic root (so it never sees other suites' traffic), share group and client ids. Sessions expire
 * a minute after the test so the broker does not keep queues for them.
 */
export function ingestionEnv(label: string, extra: Record<string, string> = {}): Record<string, string> & { MQTT_TOPIC_ROOT: string } {
  const unique = `${label}-${randomBytes(4).toString('hex')}`;
  return {
    MQTT_URL: MOSQUITTO_URL,
    MQTT_TOPIC_ROOT: `idis-test/${unique}/v1`,
    MQTT_SHARE_GROUP: `g-${unique}`,
    MQTT_CLIENT_ID: `it-${unique}`,
    MQTT_CONNECTIONS: '4',
    MQTT_SESSION_EXPIRY_SECONDS: '60',
    ...extra,
  };
}

/** A plain MQTT 5 client for publishing and watching reject topics. */
export async function testClient(
  options: IClientOptions = {},
  onMessage?: (topic: string, payload: Buffer, packet: IPublishPacket) => void,
  url = MOSQUITTO_URL,
): Promise<MqttClient> {
  const client = connect(url, { protocolVersion: 5, clientId: `it-pub-${randomBytes(5).toString('hex')}`, reconnectPeriod: 0, ...options });
  // Attached before CONNACK: a resumed session's messages can arrive in the same read as it.
  if (onMessage) client.on('message', onMessage);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

export function publish(client: MqttClient, topic: string, payload: string | Buffer, qos: 0 | 1 = 1): Promise<void> {
  return new Promise((resolve, reject) => client.publish(topic, payload, { qos }, (error) => (error ? reject(error) : resolve())));
}

export function endClient(client: MqttClient | undefined): Promise<void> {
  return new Promise((resolve) => (client ? client.end(true, {}, () => resolve()) : resolve()));
}

/** The operator's view of ingestion. */
export async function ingestionStatus(node: TestNode, token?: string): Promise<any> {
  const reply = await node.request('GET', '/api/v1/ingestion/status', { token: token ?? (await node.operatorToken()) });
  if (reply.status !== 200) throw new Error(`status: ${reply.status} ${reply.text}`);
  return reply.body;
}

/** Waits until every consumer connection of the node has subscribed. */
export async function consumerReady(node: TestNode): Promise<void> {
  const token = await node.operatorToken();
  await waitFor('the consumer to subscribe', async () => {
    const status = await ingestionStatus(node, token);
    return status.consumer && status.consumer.connections.subscribed === status.consumer.connections.total;
  });
}

export async function countRows(node: TestNode, sql: string, params: unknown[] = []): Promise<number> {
  const result = await node.db.client.query<{ n: string }>(`SELECT count(*)::text AS n FROM (${sql}) q`, params);
  return Number(result.rows[0].n);
}

let serial = 0;

/** An ObjectEvent (OBSERVE by default) about the given identifiers. */
export function objectEvent(fields: { epcs: string[]; eventID?: string | null; action?: string; bizStep?: string; eventTime?: string; extra?: Record<string, unknown> }) {
  serial += 1;
  const event: Record<string, unknown> = {
    type: 'ObjectEvent',
    eventTime: fields.eventTime ?? new Date(Date.UTC(2025, 0, 15, 8, 0, 0, serial % 1000)).toISOString(),
    eventTimeZoneOffset: '+08:00',
    epcList: fields.epcs,
    action: fields.action ?? 'OBSERVE',
    ...(fields.bizStep ? { bizStep: fields.bizStep } : {}),
    ...(fields.extra ?? {}),
  };
  if (fields.eventID !== null) event.eventID = fields.eventID ?? `urn:uuid:${randomUUID()}`;
  return event;
}

export function epcisDocument(events: Array<Record<string, unknown>>) {
  return {
    '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
    type: 'EPCISDocument',
    schemaVersion: '2.0',
    creationDate: '2025-01-15T08:00:00.000+08:00',
    epcisBody: { eventList: events },
  };
}
