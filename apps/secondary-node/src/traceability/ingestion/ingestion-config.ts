import type { EnvReader } from '@idis/runtime';

/**
 * Configuration of EPCIS ingestion (MQTT consumer, embedded broker, capture limits), read from the
 * environment through the shared EnvReader (app-config.ts composes it with the other slices). A bad value is reported with the variable's name.
 *
 * Profiles:
 * - embedded (`npm start`, no DATABASE_URL): without MQTT_URL an aedes broker runs in-process on
 *   MQTT_PORT (default 11883; 0 = any free port) and the consumer uses it with MQTT 3.1.1 and a
 *   plain subscription (aedes has no MQTT 5 and no shared subscriptions).
 * - services: MQTT_URL (mqtt:// or mqtts://) names the broker; without it ingestion is off and
 *   GET /api/v1/ingestion/status says so (MQTT_EMBEDDED=true starts the aedes broker there too). MQTT 5 with a shared subscription is the default there;
 *   MQTT_PROTOCOL_VERSION=4 forces 3.1.1 (plain subscription, one connection).
 */
export interface IngestionConfig {
  enabled: boolean;
  /** Why ingestion is off, when it is. */
  disabledReason: string | null;
  /** undefined: the embedded broker (its URL is known once it listens). */
  mqttUrl: string | undefined;
  embeddedBrokerPort: number;
  protocolVersion: 4 | 5;
  /** Base client id; connection i uses `${clientId}-${i}`. Stable across restarts: the broker keeps the sessions. */
  clientId: string;
  username: string | undefined;
  password: string | undefined;
  /** Topic root, `idis/v1` by default: events on `{root}/{prefix}/events`, rejects on `{root}/{prefix}/rejects`. */
  topicRoot: string;
  /** Group of the MQTT 5 shared subscription `$share/{group}/{root}/+/events`. */
  shareGroup: string;
  /** MQTT connections per process (members of the share group); 1 with MQTT 3.1.1. */
  connections: number;
  sessionExpirySeconds: number;
  /**
   * How PUBACKs are held back until the commit:
   * - 'deferred' (default): MQTT.js is told to go on reading while the node keeps the PUBACK and
   *   writes it itself after the commit, so each connection has up to receiveMaximum messages in
   *   flight (TCP reads and batches fill up; this is what reaches thousands of events/s);
   * - 'handle-message': MQTT.js's handleMessage callback is held until the commit (its documented
   *   back-pressure hook): one message in flight per connection, throughput ≈ connections / commit time.
   */
  ackMode: 'deferred' | 'handle-message';
  /** Unacknowledged messages per connection: announced to the broker as MQTT 5 Receive Maximum, and the point where the node stops reading. */
  receiveMaximum: number;
  batchMaxEvents: number;
  batchMaxWaitMs: number;
  /** Batches committing at once (a batch with an error declaration always commits alone). */
  commitConcurrency: number;
  maxPayloadBytes: number;
  maxEventsPerDocument: number;
  /** Retry delays while PostgreSQL refuses a batch (nothing is acknowledged meanwhile). */
  retryBaseMs: number;
  retryMaxMs: number;
}

/** The node-wide settings the ingestion defaults depend on. */
export interface IngestionContext {
  profile: 'embedded' | 'services';
  nodeId: string;
}

export function readIngestionConfig(read: EnvReader, { profile, nodeId }: IngestionContext): IngestionConfig {
  let mqttUrl = read.optional('MQTT_URL');
  // A refused MQTT_URL is reported once, not again through the rules that depend on it.
  let urlRefused = false;
  if (mqttUrl !== undefined) {
    try {
      const url = new URL(mqttUrl);
      if (!['mqtt:', 'mqtts:', 'tcp:', 'ws:', 'wss:'].includes(url.protocol)) throw new Error('protocol');
    } catch {
      read.problem(`MQTT_URL must be a URL starting with mqtt:// or mqtts:// (e.g. mqtt://127.0.0.1:1883), got "${mqttUrl}"`);
      mqttUrl = undefined;
      urlRefused = true;
    }
  }
  const switchedOff = read.optional('INGESTION_ENABLED');
  if (switchedOff !== undefined && switchedOff !== 'true' && switchedOff !== 'false') read.problem(`INGESTION_ENABLED must be true or false, got "${switchedOff}"`);

  const embedded = read.optional('MQTT_EMBEDDED');
  if (embedded !== undefined && embedded !== 'true' && embedded !== 'false') read.problem(`MQTT_EMBEDDED must be true or false, got "${embedded}"`);
  if (embedded === 'true' && mqttUrl !== undefined) read.problem('MQTT_EMBEDDED=true and MQTT_URL exclude each other: the embedded broker is used only without MQTT_URL');
  const embeddedWanted = embedded === undefined ? profile === 'embedded' : embedded === 'true';

  let disabledReason: string | null = null;
  if (switchedOff === 'false') disabledReason = 'INGESTION_ENABLED=false';
  else if (mqttUrl === undefined && !embeddedWanted) {
    disabledReason = profile === 'services' ? 'MQTT_URL is not set (services profile)' : 'MQTT_EMBEDDED=false and no MQTT_URL';
  }

  const rawVersion = read.optional('MQTT_PROTOCOL_VERSION');
  let protocolVersion: 4 | 5 = mqttUrl === undefined ? 4 : 5;
  if (rawVersion !== undefined) {
    if (rawVersion === '4' || rawVersion === '5') protocolVersion = Number(rawVersion) as 4 | 5;
    else read.problem(`MQTT_PROTOCOL_VERSION must be 4 (MQTT 3.1.1) or 5, got "${rawVersion}"`);
  }
  if (mqttUrl === undefined && !urlRefused && protocolVersion === 5) read.problem('MQTT_PROTOCOL_VERSION=5 needs MQTT_URL: the embedded broker (aedes) speaks MQTT 3.1.1 only');

  const clientId = read.optional('MQTT_CLIENT_ID') ?? `idis-${nodeId}-ingest`;
  if (!/^[A-Za-z0-9._-]{1,40}$/.test(clientId)) read.problem(`MQTT_CLIENT_ID must be 1-40 letters, digits, ".", "_" or "-", got "${clientId}"`);
  const shareGroup = read.optional('MQTT_SHARE_GROUP') ?? 'idis-secondary';
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(shareGroup)) read.problem(`MQTT_SHARE_GROUP must be 1-64 letters, digits, ".", "_" or "-" (no "/", "+", "#"), got "${shareGroup}"`);
  const topicRoot = read.optional('MQTT_TOPIC_ROOT') ?? 'idis/v1';
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(topicRoot) || topicRoot.length > 100) {
    read.problem(`MQTT_TOPIC_ROOT must be topic levels of letters, digits, ".", "_" or "-" separated by "/" (no wildcards), got "${topicRoot}"`);
  }
  const ackMode = read.optional('MQTT_ACK_MODE') ?? 'deferred';
  if (ackMode !== 'deferred' && ackMode !== 'handle-message') read.problem(`MQTT_ACK_MODE must be deferred or handle-message, got "${ackMode}"`);
  const problemsBefore = read.problems.length;
  const connections = read.integer('MQTT_CONNECTIONS', ackMode === 'handle-message' ? 32 : 8, 1, 256);
  const connectionsGiven = read.optional('MQTT_CONNECTIONS') !== undefined && read.problems.length === problemsBefore;
  if (protocolVersion === 4 && !urlRefused && connectionsGiven && connections > 1) {
    read.problem('MQTT_CONNECTIONS must be 1 with MQTT_PROTOCOL_VERSION=4: without a shared subscription every connection would get every message');
  }
  const retryBaseMs = read.integer('INGEST_RETRY_BASE_MS', 200, 10, 60_000);
  const retryMaxMs = read.integer('INGEST_RETRY_MAX_MS', 5000, 10, 600_000);
  if (retryMaxMs < retryBaseMs) read.problem('INGEST_RETRY_MAX_MS must not be below INGEST_RETRY_BASE_MS');

  return {
    enabled: disabledReason === null,
    disabledReason,
    mqttUrl,
    embeddedBrokerPort: read.integer('MQTT_PORT', 11883, 0, 65535),
    protocolVersion,
    clientId,
    username: read.optional('MQTT_USERNAME'),
    password: read.optional('MQTT_PASSWORD'),
    topicRoot,
    shareGroup,
    connections: protocolVersion === 4 ? 1 : connections,
    sessionExpirySeconds: read.integer('MQTT_SESSION_EXPIRY_SECONDS', 900, 0, 7 * 86400),
    ackMode: ackMode === 'handle-message' ? 'handle-message' : 'deferred',
    receiveMaximum: read.integer('MQTT_RECEIVE_MAXIMUM', ackMode === 'handle-message' ? 10 : 500, 1, 65535),
    batchMaxEvents: read.integer('INGEST_BATCH_MAX_EVENTS', 500, 1, 10_000),
    batchMaxWaitMs: read.integer('INGEST_BATCH_MAX_WAIT_MS', 20, 0, 10_000),
    commitConcurrency: read.integer('INGEST_COMMIT_CONCURRENCY', 2, 1, 16),
    maxPayloadBytes: read.integer('INGEST_MAX_PAYLOAD_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    maxEventsPerDocument: read.integer('INGEST_MAX_EVENTS_PER_DOCUMENT', 1000, 1, 100_000),
    retryBaseMs,
    retryMaxMs,
  };
}

export const INGESTION_CONFIG = Symbol('INGESTION_CONFIG');
