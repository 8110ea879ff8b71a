import { EnvReader } from '@idis/runtime';
import { type IngestionConfig, readIngestionConfig } from './ingestion-config';

type Profile = 'embedded' | 'services';

function read(env: Record<string, string>, profile: Profile = 'services'): { config: IngestionConfig; problems: string[] } {
  const problems: string[] = [];
  const config = readIngestionConfig(new EnvReader(env, problems), { profile, nodeId: 'secondary-1' });
  return { config, problems };
}

/** The one problem a bad value causes; it must name the variable. */
function problemOf(env: Record<string, string>, profile: Profile = 'services'): string {
  const { problems } = read(env, profile);
  expect(problems).toHaveLength(1);
  return problems[0];
}

const SERVICES = { MQTT_URL: 'mqtt://127.0.0.1:1883' };

describe('readIngestionConfig', () => {
  it('embedded profile: an in-process broker on 11883, MQTT 3.1.1, one connection, deferred acknowledgements', () => {
    expect(read({}, 'embedded')).toEqual({
      problems: [],
      config: {
        enabled: true,
        disabledReason: null,
        mqttUrl: undefined,
        embeddedBrokerPort: 11883,
        protocolVersion: 4,
        clientId: 'idis-secondary-1-ingest',
        username: undefined,
        password: undefined,
        topicRoot: 'idis/v1',
        shareGroup: 'idis-secondary',
        connections: 1,
        sessionExpirySeconds: 900,
        ackMode: 'deferred',
        receiveMaximum: 500,
        batchMaxEvents: 500,
        batchMaxWaitMs: 20,
        commitConcurrency: 2,
        maxPayloadBytes: 1024 * 1024,
        maxEventsPerDocument: 1000,
        retryBaseMs: 200,
        retryMaxMs: 5000,
      },
    });
  });

  it('services profile with MQTT_URL: MQTT 5, 8 connections in the shared subscription', () => {
    const { config, problems } = read(SERVICES);
    expect(problems).toEqual([]);
    expect(config).toMatchObject({ enabled: true, disabledReason: null, mqttUrl: 'mqtt://127.0.0.1:1883', protocolVersion: 5, connections: 8, receiveMaximum: 500, ackMode: 'deferred' });
  });

  it('services profile without MQTT_URL: ingestion is off and says why', () => {
    const { config, problems } = read({});
    expect(problems).toEqual([]);
    expect(config).toMatchObject({ enabled: false, disabledReason: 'MQTT_URL is not set (services profile)' });
  });

  it('INGESTION_ENABLED=false switches ingestion off in either profile', () => {
    expect(read({ INGESTION_ENABLED: 'false' }, 'embedded').config).toMatchObject({ enabled: false, disabledReason: 'INGESTION_ENABLED=false' });
    expect(read({ ...SERVICES, INGESTION_ENABLED: 'false' }).config).toMatchObject({ enabled: false, disabledReason: 'INGESTION_ENABLED=false' });
  });

  it('MQTT_EMBEDDED chooses the in-process broker', () => {
    expect(read({ MQTT_EMBEDDED: 'true' }).config).toMatchObject({ enabled: true, mqttUrl: undefined, protocolVersion: 4 });
    expect(read({ MQTT_EMBEDDED: 'false' }, 'embedded').config).toMatchObject({ enabled: false, disabledReason: 'MQTT_EMBEDDED=false and no MQTT_URL' });
  });

  it('handle-message acknowledgements default to 32 connections of 10 messages', () => {
    expect(read({ ...SERVICES, MQTT_ACK_MODE: 'handle-message' }).config).toMatchObject({ ackMode: 'handle-message', connections: 32, receiveMaximum: 10 });
  });

  it('takes every valid value as given', () => {
    const { config, problems } = read({
      MQTT_URL: 'mqtts://broker.example.cn:8883',
      MQTT_PROTOCOL_VERSION: '5',
      MQTT_CLIENT_ID: 'node-a.1_x',
      MQTT_USERNAME: 'idis',
      MQTT_PASSWORD: 'secret',
      MQTT_TOPIC_ROOT: 'factory/idis/v2',
      MQTT_SHARE_GROUP: 'group-2',
      MQTT_CONNECTIONS: '16',
      MQTT_SESSION_EXPIRY_SECONDS: '0',
      MQTT_RECEIVE_MAXIMUM: '1000',
      INGEST_BATCH_MAX_EVENTS: '2000',
      INGEST_BATCH_MAX_WAIT_MS: '0',
      INGEST_MAX_PAYLOAD_BYTES: '4096',
      INGEST_MAX_EVENTS_PER_DOCUMENT: '10',
      INGEST_RETRY_BASE_MS: '50',
      INGEST_RETRY_MAX_MS: '50',
    });
    expect(problems).toEqual([]);
    expect(config).toMatchObject({
      mqttUrl: 'mqtts://broker.example.cn:8883',
      protocolVersion: 5,
      clientId: 'node-a.1_x',
      username: 'idis',
      password: 'secret',
      topicRoot: 'factory/idis/v2',
      shareGroup: 'group-2',
      connections: 16,
      sessionExpirySeconds: 0,
      receiveMaximum: 1000,
      batchMaxEvents: 2000,
      batchMaxWaitMs: 0,
      maxPayloadBytes: 4096,
      maxEventsPerDocument: 10,
      retryBaseMs: 50,
      retryMaxMs: 50,
    });
  });

  it('MQTT_PROTOCOL_VERSION=4 with a URL: one connection and a plain subscription', () => {
    expect(read({ ...SERVICES, MQTT_PROTOCOL_VERSION: '4' }).config).toMatchObject({ protocolVersion: 4, connections: 1 });
  });

  it('an empty variable counts as unset', () => {
    expect(read({ ...SERVICES, MQTT_CONNECTIONS: '', INGEST_BATCH_MAX_EVENTS: '' }).config).toMatchObject({ connections: 8, batchMaxEvents: 500 });
  });

  describe.each([
    ['MQTT_PORT', 0, 65535],
    ['MQTT_CONNECTIONS', 1, 256],
    ['MQTT_SESSION_EXPIRY_SECONDS', 0, 7 * 86400],
    ['MQTT_RECEIVE_MAXIMUM', 1, 65535],
    ['INGEST_BATCH_MAX_EVENTS', 1, 10_000],
    ['INGEST_BATCH_MAX_WAIT_MS', 0, 10_000],
    ['INGEST_MAX_PAYLOAD_BYTES', 1024, 64 * 1024 * 1024],
    ['INGEST_MAX_EVENTS_PER_DOCUMENT', 1, 100_000],
    ['INGEST_RETRY_BASE_MS', 10, 60_000],
    ['INGEST_RETRY_MAX_MS', 10, 600_000],
  ])('%s (an integer from %d to %d)', (name, min, max) => {
    // The retry pair is also checked against each other; keep the other one out of the way.
    const base = name === 'INGEST_RETRY_BASE_MS' ? { ...SERVICES, INGEST_RETRY_MAX_MS: '600000' } : name === 'INGEST_RETRY_MAX_MS' ? { ...SERVICES, INGEST_RETRY_BASE_MS: '10' } : SERVICES;

    it('accepts both bounds', () => {
      for (const value of [min, max]) expect(read({ ...base, [name]: String(value) }).problems).toEqual([]);
    });

    it.each(['abc', '-1', '1.5', '1e3', ' 8', String(max + 1), ...(min > 0 ? [String(min - 1)] : [])])('refuses %j by name', (value) => {
      expect(problemOf({ ...base, [name]: value })).toBe(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
    });
  });

  it.each([
    [{ MQTT_URL: 'broker:1883' }, /^MQTT_URL must be a URL starting with mqtt:\/\/ or mqtts:\/\//],
    [{ MQTT_URL: 'http://127.0.0.1:1883' }, /^MQTT_URL must be a URL/],
    [{ ...SERVICES, INGESTION_ENABLED: 'yes' }, /^INGESTION_ENABLED must be true or false, got "yes"$/],
    [{ MQTT_EMBEDDED: '1' }, /^MQTT_EMBEDDED must be true or false, got "1"$/],
    [{ ...SERVICES, MQTT_EMBEDDED: 'true' }, /^MQTT_EMBEDDED=true and MQTT_URL exclude each other/],
    [{ ...SERVICES, MQTT_PROTOCOL_VERSION: '3' }, /^MQTT_PROTOCOL_VERSION must be 4 \(MQTT 3\.1\.1\) or 5, got "3"$/],
    [{ MQTT_EMBEDDED: 'true', MQTT_PROTOCOL_VERSION: '5' }, /^MQTT_PROTOCOL_VERSION=5 needs MQTT_URL/],
    [{ ...SERVICES, MQTT_CLIENT_ID: 'has space' }, /^MQTT_CLIENT_ID must be 1-40 letters/],
    [{ ...SERVICES, MQTT_CLIENT_ID: 'x'.repeat(41) }, /^MQTT_CLIENT_ID must be 1-40 letters/],
    [{ ...SERVICES, MQTT_SHARE_GROUP: 'a/b' }, /^MQTT_SHARE_GROUP must be 1-64 letters.*got "a\/b"$/],
    [{ ...SERVICES, MQTT_SHARE_GROUP: 'g+' }, /^MQTT_SHARE_GROUP must be/],
    [{ ...SERVICES, MQTT_TOPIC_ROOT: 'idis/+/v1' }, /^MQTT_TOPIC_ROOT must be topic levels/],
    [{ ...SERVICES, MQTT_TOPIC_ROOT: 'idis/v1/' }, /^MQTT_TOPIC_ROOT must be topic levels/],
    [{ ...SERVICES, MQTT_TOPIC_ROOT: `a/${'b'.repeat(100)}` }, /^MQTT_TOPIC_ROOT must be topic levels/],
    [{ ...SERVICES, MQTT_ACK_MODE: 'immediate' }, /^MQTT_ACK_MODE must be deferred or handle-message, got "immediate"$/],
    [{ ...SERVICES, MQTT_PROTOCOL_VERSION: '4', MQTT_CONNECTIONS: '2' }, /^MQTT_CONNECTIONS must be 1 with MQTT_PROTOCOL_VERSION=4/],
    [{ ...SERVICES, INGEST_RETRY_BASE_MS: '1000', INGEST_RETRY_MAX_MS: '500' }, /^INGEST_RETRY_MAX_MS must not be below INGEST_RETRY_BASE_MS$/],
  ])('refuses %j with one problem naming the variable', (env, message) => {
    expect(problemOf(env)).toMatch(message);
  });

  it('reports a refused MQTT_URL once, not again through the MQTT 5 and connection rules that depend on it', () => {
    const { problems } = read({ MQTT_URL: 'nope', MQTT_PROTOCOL_VERSION: '5', MQTT_CONNECTIONS: '4' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^MQTT_URL must be a URL/);
  });

  it('reports every bad variable at once', () => {
    const { problems } = read({ MQTT_URL: 'nope', MQTT_CONNECTIONS: '0', INGEST_BATCH_MAX_EVENTS: 'many', MQTT_ACK_MODE: 'x' });
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['MQTT_URL', 'MQTT_ACK_MODE', 'MQTT_CONNECTIONS', 'INGEST_BATCH_MAX_EVENTS']);
  });
});
