import type { SimConfig } from './config';
import { ensureEnterprise, ensureTemplate, type ReadyEnterprise, registerIdentifiers, type RegistrationResult } from './enterprises';
import { type FlowOptions, flowEvents, flowIdentifiers, type SimEnterprise, simEnterprises } from './flow';
import { flowMessages, type MessageOptions } from './messages';
import { type MqttCredential, NodeClient } from './node-client';
import { publishMessages, type PublisherOptions, type PublishResult } from './publisher';

/** Everything a library caller needs to publish a simulated stream (engineer D's kill test and benchmark). */
export interface SimulatedPublishOptions extends Omit<PublisherOptions, 'maxDurationMs'>, Omit<MessageOptions, 'seed'> {
  seed: number | string;
  enterprises: readonly SimEnterprise[];
  maxEvents: number;
  /** Default: 2025-01-01T00:00:00+08:00 (fixed, so a seed alone fixes the stream). */
  startTime?: Date;
  maxDurationMs?: number;
  flow?: Partial<Omit<FlowOptions, 'seed' | 'enterprises' | 'maxEvents' | 'startTime'>>;
}

const DEFAULT_LIBRARY_START = new Date('2025-01-01T00:00:00+08:00');

export function flowOptionsOf(options: Pick<SimulatedPublishOptions, 'seed' | 'enterprises' | 'maxEvents' | 'startTime' | 'flow'>): FlowOptions {
  return { ...options.flow, seed: options.seed, enterprises: options.enterprises, maxEvents: options.maxEvents, startTime: options.startTime ?? DEFAULT_LIBRARY_START };
}

/**
 * Publishes up to `maxEvents` events of the simulated chain at QoS 1 and returns, among the rest,
 * `expectedEventIds`: the distinct ids of the acknowledged events, which the node must store.
 * The enterprises' prefixes must be active on the node for the events to be accepted.
 */
export function publishSimulatedEvents(options: SimulatedPublishOptions): Promise<PublishResult> {
  const messages = flowMessages(flowEvents(flowOptionsOf(options)), options);
  return publishMessages(messages, { ...options, maxDurationMs: options.maxDurationMs ?? 300_000 });
}

/** The ids the first `maxEvents` events are stored under, without publishing (same order as published). */
export function expectedEventIdsOf(options: Pick<SimulatedPublishOptions, 'seed' | 'enterprises' | 'maxEvents' | 'startTime' | 'flow'>): string[] {
  const ids: string[] = [];
  for (const message of flowMessages(flowEvents(flowOptionsOf(options)), { seed: options.seed })) ids.push(...message.eventIds);
  return ids;
}

export interface SimulationReport {
  enterprises: Array<Pick<ReadyEnterprise, 'tier' | 'prefix' | 'name' | 'username' | 'setup'> & { template?: 'created' | 'reused'; registration?: RegistrationResult }>;
  publish: PublishResult;
  /** A product whose whole journey (made, packed, shipped, received, sold) was published: for trace examples. */
  sampleProduct?: { identifier: string; handle: string; owner: string };
}

/** The first product sold within the first `published` events of the flow. */
export function soldProductSample(flowOptions: FlowOptions, published: number): SimulationReport['sampleProduct'] {
  for (const { event, seq } of flowEvents(flowOptions)) {
    if (seq >= published) break;
    if (event.bizStep === 'retail_selling' && Array.isArray(event.epcList) && typeof event.epcList[0] === 'string') {
      const identifier = event.epcList[0] as string;
      const handle = identifier.replace(/^hdl:/, '');
      return { identifier, handle, owner: handle.slice(0, handle.indexOf('/')) };
    }
  }
  return undefined;
}

/** The whole CLI run: enterprises, templates and identifiers on the node, then the event stream over MQTT. */
export async function runSimulation(config: SimConfig, options: { log?: (line: string) => void; signal?: AbortSignal } = {}): Promise<SimulationReport> {
  const log = options.log ?? (() => undefined);
  const client = new NodeClient(config.nodeUrl);
  const planned = simEnterprises(config.secondaryPrefix, config.firstCode, config.counts);
  // Side by side: with a top-level node each approval waits for its filing, and those overlap.
  // All settle before a failure is reported, so nothing is left running behind the caller's back.
  const settled = await Promise.allSettled(
    planned.map((enterprise) =>
      ensureEnterprise(client, enterprise, { password: config.enterprisePassword, operator: config.operator, activationTimeoutMs: config.activationTimeoutMs, log }),
    ),
  );
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failure) throw failure.reason;
  const ready = settled.map((s) => (s as PromiseFulfilledResult<ReadyEnterprise>).value);
  for (const done of ready) log(`${done.tier.padEnd(12)} ${done.prefix}  ${done.name}  (account ${done.username}, ${done.setup})`);
  const flowOptions: FlowOptions = {
    seed: config.seed,
    enterprises: planned,
    startTime: config.startTime,
    maxEvents: config.maxEvents,
    maxProducts: config.maxProducts,
    productsPerRun: config.productsPerRun,
    eventIdFraction: config.eventIdFraction,
    digitalLinkFraction: config.digitalLinkFraction,
  };
  const report: SimulationReport = { enterprises: ready.map(({ tier, prefix, name, username, setup }) => ({ tier, prefix, name, username, setup })), publish: undefined as unknown as PublishResult };
  if (config.register) {
    const identifiers = flowIdentifiers(flowOptions);
    for (const [i, enterprise] of ready.entries()) {
      const entry = report.enterprises[i];
      entry.template = await ensureTemplate(client, enterprise);
      const list = identifiers.get(enterprise.prefix) ?? [];
      entry.registration = await registerIdentifiers(client, enterprise, list, config.registerBatchSize);
      const r = entry.registration;
      log(`registered ${enterprise.prefix}: ${r.created} new, ${r.existing} already there, ${r.failed} failed (${r.batches} SNMS batch${r.batches === 1 ? '' : 'es'})`);
      for (const failure of r.failures) log(`  ${failure}`);
    }
  }
  const credentials = config.mqttCredentials === 'node' ? await issueMqttCredentials(client, ready, log) : undefined;
  log(`publishing up to ${config.maxEvents} events to ${config.mqttUrl} at ${config.ratePerSecond ?? 'unlimited'} events/s for at most ${config.maxDurationMs / 1000} s`);
  try {
    report.publish = await publishMessages(
      flowMessages(flowEvents(flowOptions), {
        seed: config.seed,
        topicRoot: config.topicRoot,
        maxEventsPerMessage: config.maxEventsPerMessage,
        invalidFraction: config.invalidFraction,
        duplicateFraction: config.duplicateFraction,
        invalidKinds: config.invalidKinds,
      }),
      {
        mqttUrl: config.mqttUrl,
        clientId: config.clientId,
        username: config.mqttUsername,
        password: config.mqttPassword,
        credentials: credentials && new Map([...credentials].map(([prefix, issued]) => [prefix, { username: issued.credential.username, password: issued.credential.password }])),
        protocolVersion: config.mqttProtocol,
        ratePerSecond: config.ratePerSecond,
        maxDurationMs: config.maxDurationMs,
        inFlight: config.inFlight,
        signal: options.signal,
        onProgress: (p) => log(`  ${p.eventsAcked} events acknowledged (${p.messagesAcked}/${p.messagesPublished} messages) after ${(p.elapsedMs / 1000).toFixed(1)} s`),
        progressIntervalMs: 5000,
      },
    );
  } finally {
    // The simulator's credentials live for one run: revoked whatever happened.
    for (const issued of credentials?.values() ?? []) await client.revokeMqttCredential(issued.enterprise.token, issued.enterprise.enterpriseId as string, issued.credential.id).catch(() => undefined);
  }
  report.sampleProduct = soldProductSample(flowOptions, report.publish.eventsAcked);
  return report;
}

const SIM_CREDENTIAL_LABEL = 'enterprise-simulator';

/**
 * One MQTT credential per enterprise from the node, keyed by lower-cased prefix (earlier runs'
 * leftovers, recognised by their label, are revoked first). Undefined when the node has no
 * credentials API: then the shared MQTT_USERNAME / MQTT_PASSWORD (or none) are used.
 */
async function issueMqttCredentials(
  client: NodeClient,
  ready: readonly ReadyEnterprise[],
  log: (line: string) => void,
): Promise<Map<string, { enterprise: ReadyEnterprise; credential: MqttCredential }> | undefined> {
  const issued = new Map<string, { enterprise: ReadyEnterprise; credential: MqttCredential }>();
  for (const enterprise of ready) {
    const enterpriseId = enterprise.enterpriseId;
    if (!enterpriseId) throw new Error(`the node names no enterprise for the active prefix ${enterprise.prefix}: cannot ask for its MQTT credential`);
    for (const old of await client.listMqttCredentials(enterprise.token, enterpriseId).catch(() => [])) {
      if (old.label === SIM_CREDENTIAL_LABEL) await client.revokeMqttCredential(enterprise.token, enterpriseId, old.id);
    }
    const credential = await client.createMqttCredential(enterprise.token, enterpriseId, SIM_CREDENTIAL_LABEL);
    if (!credential) {
      log('the node issues no MQTT credentials (no such API): publishing with MQTT_USERNAME / MQTT_PASSWORD, if any');
      return undefined;
    }
    issued.set(enterprise.prefix.toLowerCase(), { enterprise, credential });
  }
  log(`MQTT credentials issued by the node for ${issued.size} enterprise(s)`);
  return issued;
}
