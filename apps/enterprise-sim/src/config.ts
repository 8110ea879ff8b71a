import { ConfigError, type Env, EnvReader } from '@idis/runtime';
import { type Tier } from './flow';
import { INVALID_KINDS, type InvalidKind } from './messages';

/**
 * The simulator's settings, from the environment and `--name=value` flags (a flag wins over its
 * variable: `--max-events=500` sets SIM_MAX_EVENTS). Every value is checked with a bound; a bad one
 * names the variable and what it expects.
 */
export interface SimConfig {
  nodeUrl: string;
  operator: { username: string; password: string } | undefined;
  mqttUrl: string;
  topicRoot: string;
  mqttProtocol: 4 | 5 | 'auto';
  mqttUsername: string | undefined;
  mqttPassword: string | undefined;
  /** 'node': each enterprise publishes with its own credential from the node's API; 'shared': MQTT_USERNAME / MQTT_PASSWORD (or none) for all. */
  mqttCredentials: 'node' | 'shared';
  clientId: string;
  secondaryPrefix: string;
  firstCode: number;
  counts: Record<Tier, number>;
  enterprisePassword: string;
  seed: string;
  startTime: Date;
  maxEvents: number;
  maxProducts: number | undefined;
  productsPerRun: number;
  ratePerSecond: number | undefined;
  maxDurationMs: number;
  inFlight: number;
  maxEventsPerMessage: number;
  eventIdFraction: number;
  digitalLinkFraction: number;
  invalidFraction: number;
  invalidKinds: InvalidKind[];
  duplicateFraction: number;
  register: boolean;
  registerBatchSize: number;
  activationTimeoutMs: number;
}

export class SimConfigError extends ConfigError {
  constructor(problems: string[]) {
    super(problems, 'invalid simulator configuration');
    this.name = 'SimConfigError';
  }
}

/** Flag name → variable. */
const FLAGS: Record<string, string> = {
  'node-url': 'SIM_NODE_URL',
  'mqtt-url': 'MQTT_URL',
  'mqtt-protocol': 'SIM_MQTT_PROTOCOL',
  'secondary-prefix': 'SIM_SECONDARY_PREFIX',
  'prefix-base': 'SIM_PREFIX_BASE',
  suppliers: 'SIM_SUPPLIERS',
  manufacturers: 'SIM_MANUFACTURERS',
  distributors: 'SIM_DISTRIBUTORS',
  retailers: 'SIM_RETAILERS',
  seed: 'SIM_SEED',
  'start-time': 'SIM_START_TIME',
  'max-events': 'SIM_MAX_EVENTS',
  products: 'SIM_PRODUCTS',
  'products-per-run': 'SIM_PRODUCTS_PER_RUN',
  rate: 'SIM_RATE',
  'max-duration': 'SIM_MAX_DURATION_SECONDS',
  'in-flight': 'SIM_IN_FLIGHT',
  'events-per-message': 'SIM_EVENTS_PER_MESSAGE',
  'event-id-fraction': 'SIM_EVENT_ID_FRACTION',
  'digital-link-fraction': 'SIM_DIGITAL_LINK_FRACTION',
  'invalid-fraction': 'SIM_INVALID_FRACTION',
  'duplicate-fraction': 'SIM_DUPLICATE_FRACTION',
  register: 'SIM_REGISTER',
  'register-batch': 'SIM_REGISTER_BATCH',
  'activation-timeout': 'SIM_ACTIVATION_TIMEOUT_SECONDS',
  'client-id': 'SIM_CLIENT_ID',
  'mqtt-credentials': 'SIM_MQTT_CREDENTIALS',
  'invalid-kinds': 'SIM_INVALID_KINDS',
};

export const SIM_USAGE = `enterprise simulator: registers supply-chain enterprises and their identifiers on a secondary node
and publishes EPCIS 2.0 events over MQTT (QoS 1) on idis/v1/{prefix}/events.

Variables (flags in brackets win over them):
  SIM_NODE_URL [--node-url]           secondary node (default http://127.0.0.1:8080)
  SIM_OPERATOR_USERNAME / SIM_OPERATOR_PASSWORD   approve the simulated enterprises (default operator / $OPERATOR_PASSWORD)
  MQTT_URL [--mqtt-url]               broker (default mqtt://127.0.0.1:1883); MQTT_USERNAME / MQTT_PASSWORD
  SIM_MQTT_CREDENTIALS [--mqtt-credentials]   node | shared: each enterprise gets its own MQTT credential from the
                                      node (revoked at the end), or all use MQTT_USERNAME / MQTT_PASSWORD
                                      (default: node, or shared when MQTT_USERNAME is set)
  MQTT_TOPIC_ROOT                     topics are {root}/{prefix}/events (default idis/v1, as on the node)
  SIM_MQTT_PROTOCOL [--mqtt-protocol] auto | 5 | 4 (default auto: MQTT 5, else 3.1.1)
  SIM_SECONDARY_PREFIX                the node's prefix (default 88.118)
  SIM_PREFIX_BASE [--prefix-base]     first enterprise code (default 9101: prefixes 88.118.9101, 88.118.9102, ...)
  SIM_SUPPLIERS / SIM_MANUFACTURERS / SIM_DISTRIBUTORS / SIM_RETAILERS   enterprises per tier (1-20; default 1, 1, 1, 2)
  SIM_ENTERPRISE_PASSWORD             password of the simulated enterprise accounts (default sim-enterprise-pass)
  SIM_SEED [--seed]                   the same seed and start time give the same events (default 1)
  SIM_START_TIME [--start-time]       time of the first event, ISO 8601 (default: 00:00 +08:00 fourteen days ago)
  SIM_MAX_EVENTS [--max-events]       events to publish, 1-2000000 (default 1000)
  SIM_PRODUCTS [--products]           finished products at most (default: as many as max events need)
  SIM_PRODUCTS_PER_RUN                products per production lot, 2-200 (default 12)
  SIM_RATE [--rate]                   events per second, 1-10000000 (default 200; 0 = unlimited)
  SIM_MAX_DURATION_SECONDS [--max-duration]   stop publishing after this long, 1-86400 (default 60)
  SIM_IN_FLIGHT [--in-flight]         messages awaiting PUBACK at most, 1-65535 (default 100)
  SIM_EVENTS_PER_MESSAGE              events per message at most, 1-100 (default 1)
  SIM_EVENT_ID_FRACTION               events with an eventID, 0-1 (default 0.5; the others get the hash ID)
  SIM_DIGITAL_LINK_FRACTION           lots whose raw materials use GS1 Digital Link URIs, 0-1 (default 0.2)
  SIM_INVALID_FRACTION [--invalid-fraction]     broken messages mixed in, 0-0.5 (default 0; kinds: ${INVALID_KINDS.join(', ')})
  SIM_INVALID_KINDS [--invalid-kinds] comma-separated kinds to draw from (default all; leave out inactive-prefix on a broker
                                      that enforces credentials: it refuses that publish at the door)
  SIM_DUPLICATE_FRACTION [--duplicate-fraction] re-published copies mixed in, 0-0.5 (default 0)
  SIM_REGISTER [--register]           register identifiers through the SNMS batch API first, true|false (default true)
  SIM_REGISTER_BATCH                  identifiers per SNMS batch, 1-2000 (default 500)
  SIM_ACTIVATION_TIMEOUT_SECONDS      wait for approved prefixes to become active, 1-3600 (default 60)
  SIM_CLIENT_ID [--client-id]         MQTT client id (default idis-sim-<pid>)
`;

/** Applies `--name=value` flags over the environment; unknown flags are problems. */
export function mergeFlags(env: Env, argv: readonly string[], problems: string[]): Env {
  const merged: Env = { ...env };
  for (const arg of argv) {
    const match = /^--([a-z-]+)=(.*)$/s.exec(arg);
    const variable = match ? FLAGS[match[1]] : undefined;
    if (!match || !variable) {
      problems.push(`unknown argument "${arg}" (flags are --name=value: ${Object.keys(FLAGS).map((f) => `--${f}`).join(', ')})`);
      continue;
    }
    merged[variable] = match[2];
  }
  return merged;
}

export function loadSimConfig(environment: Env = process.env, argv: readonly string[] = [], now: Date = new Date()): SimConfig {
  const problems: string[] = [];
  const read = new EnvReader(mergeFlags(environment, argv, problems), problems);
  // The simulator's URLs are its own test endpoints: a bad one is repeated in the message.
  const url = (name: string, fallback: string, protocols: string[]) => read.url(name, protocols, { showValue: true }) ?? fallback;

  const secondaryPrefix = read.string('SIM_SECONDARY_PREFIX', '88.118');
  if (!/^[0-9]+(\.[0-9A-Za-z-]+)*$/.test(secondaryPrefix) || secondaryPrefix.length > 40) {
    problems.push(`SIM_SECONDARY_PREFIX must be a handle prefix such as 88.118, got "${secondaryPrefix}"`);
  }
  const protocolRaw = read.string('SIM_MQTT_PROTOCOL', 'auto');
  if (!['auto', '4', '5'].includes(protocolRaw)) problems.push(`SIM_MQTT_PROTOCOL must be auto, 5 or 4, got "${protocolRaw}"`);
  const topicRoot = read.string('MQTT_TOPIC_ROOT', 'idis/v1');
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(topicRoot) || topicRoot.length > 100) {
    problems.push(`MQTT_TOPIC_ROOT must be topic levels of letters, digits, ".", "_" or "-" separated by "/", got "${topicRoot}"`);
  }
  const register = read.boolean('SIM_REGISTER', true);
  const invalidKinds = (read.optional('SIM_INVALID_KINDS') ?? INVALID_KINDS.join(',')).split(',').map((kind) => kind.trim()).filter((kind) => kind.length > 0);
  const unknownKinds = invalidKinds.filter((kind) => !(INVALID_KINDS as readonly string[]).includes(kind));
  if (unknownKinds.length > 0 || invalidKinds.length === 0) problems.push(`SIM_INVALID_KINDS must be a comma-separated list of ${INVALID_KINDS.join(', ')}, got "${read.optional('SIM_INVALID_KINDS')}"`);
  const credentialsMode = read.string('SIM_MQTT_CREDENTIALS', read.optional('MQTT_USERNAME') === undefined ? 'node' : 'shared');
  if (credentialsMode !== 'node' && credentialsMode !== 'shared') problems.push(`SIM_MQTT_CREDENTIALS must be node or shared, got "${credentialsMode}"`);

  let startTime: Date;
  const startRaw = read.optional('SIM_START_TIME');
  if (startRaw === undefined) {
    // 00:00 in UTC+8, fourteen days ago: a re-run on the same day repeats the same events (stored once).
    const midnight = Math.floor((now.getTime() + 8 * 3600_000) / 86_400_000) * 86_400_000 - 8 * 3600_000;
    startTime = new Date(midnight - 14 * 86_400_000);
  } else {
    startTime = new Date(startRaw);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(startRaw) || Number.isNaN(startTime.getTime())) {
      problems.push(`SIM_START_TIME must be an ISO 8601 date-time such as 2025-01-15T08:00:00+08:00, got "${startRaw}"`);
      startTime = now;
    }
  }

  const operatorPassword = read.optional('SIM_OPERATOR_PASSWORD') ?? read.optional('OPERATOR_PASSWORD');
  const rate = read.integer('SIM_RATE', 200, 0, 10_000_000);
  const products = read.integer('SIM_PRODUCTS', 0, 0, Number.MAX_SAFE_INTEGER);
  const enterprisePassword = read.string('SIM_ENTERPRISE_PASSWORD', 'sim-enterprise-pass');
  if (enterprisePassword.length < 8 || enterprisePassword.length > 64) problems.push('SIM_ENTERPRISE_PASSWORD must be 8 to 64 characters');
  const seed = read.string('SIM_SEED', '1');
  if (seed.length > 100) problems.push('SIM_SEED must be at most 100 characters');
  const clientId = read.string('SIM_CLIENT_ID', `idis-sim-${process.pid}`);
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(clientId)) problems.push(`SIM_CLIENT_ID must be 1-64 letters, digits, "_", ".", ":" or "-", got "${clientId}"`);

  const config: SimConfig = {
    nodeUrl: url('SIM_NODE_URL', 'http://127.0.0.1:8080', ['http:', 'https:']),
    operator: operatorPassword ? { username: read.optional('SIM_OPERATOR_USERNAME') ?? read.string('OPERATOR_USERNAME', 'operator'), password: operatorPassword } : undefined,
    mqttUrl: url('MQTT_URL', 'mqtt://127.0.0.1:1883', ['mqtt:', 'mqtts:', 'tcp:', 'ws:', 'wss:']),
    topicRoot,
    mqttProtocol: protocolRaw === '4' ? 4 : protocolRaw === '5' ? 5 : 'auto',
    mqttUsername: read.optional('MQTT_USERNAME'),
    mqttPassword: read.optional('MQTT_PASSWORD'),
    mqttCredentials: credentialsMode === 'shared' ? 'shared' : 'node',
    clientId,
    secondaryPrefix,
    firstCode: read.integer('SIM_PREFIX_BASE', 9101, 1, 999_999_000),
    counts: {
      supplier: read.integer('SIM_SUPPLIERS', 1, 1, 20),
      manufacturer: read.integer('SIM_MANUFACTURERS', 1, 1, 20),
      distributor: read.integer('SIM_DISTRIBUTORS', 1, 1, 20),
      retailer: read.integer('SIM_RETAILERS', 2, 1, 20),
    },
    enterprisePassword,
    seed,
    startTime,
    maxEvents: read.integer('SIM_MAX_EVENTS', 1000, 1, 2_000_000),
    maxProducts: products === 0 ? undefined : products,
    productsPerRun: read.integer('SIM_PRODUCTS_PER_RUN', 12, 2, 200),
    ratePerSecond: rate === 0 ? undefined : rate,
    maxDurationMs: read.integer('SIM_MAX_DURATION_SECONDS', 60, 1, 86_400) * 1000,
    inFlight: read.integer('SIM_IN_FLIGHT', 100, 1, 65535),
    maxEventsPerMessage: read.integer('SIM_EVENTS_PER_MESSAGE', 1, 1, 100),
    eventIdFraction: read.fraction('SIM_EVENT_ID_FRACTION', 0.5),
    digitalLinkFraction: read.fraction('SIM_DIGITAL_LINK_FRACTION', 0.2),
    invalidFraction: read.fraction('SIM_INVALID_FRACTION', 0, 0.5),
    invalidKinds: invalidKinds as InvalidKind[],
    duplicateFraction: read.fraction('SIM_DUPLICATE_FRACTION', 0, 0.5),
    register,
    registerBatchSize: read.integer('SIM_REGISTER_BATCH', 500, 1, 2000),
    activationTimeoutMs: read.integer('SIM_ACTIVATION_TIMEOUT_SECONDS', 60, 1, 3600) * 1000,
  };
  if (problems.length > 0) throw new SimConfigError(problems);
  return config;
}
