import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import type { SimMessage } from './messages';
import { TokenBucket } from './token-bucket';

/**
 * Publishes simulated messages at QoS 1 with MQTT.js: a bounded window of messages in flight, each
 * counted only once the broker's PUBACK arrives, paced by a token bucket (events per second), and
 * bounded in time. Returns the ids of the valid events the broker acknowledged: what the node must
 * end up storing.
 */

export interface PublisherOptions {
  mqttUrl: string;
  clientId?: string;
  username?: string;
  password?: string;
  /**
   * Per-enterprise MQTT credentials (from the node's POST /api/v1/enterprises/{id}/mqtt-credentials),
   * keyed by lower-cased enterprise prefix: each enterprise's messages go through a connection of
   * its own, as a broker that pins every account to its prefix requires. Messages of a prefix not
   * in the map use `username` / `password` (or none).
   */
  credentials?: ReadonlyMap<string, { username: string; password: string }>;
  /** MQTT 5 (Mosquitto, EMQX), 3.1.1 (the embedded aedes broker) or 'auto' (5, falling back to 3.1.1). Default 'auto'. */
  protocolVersion?: 4 | 5 | 'auto';
  /** Events per second (a broken message counts as one); omitted = as fast as the window allows. */
  ratePerSecond?: number;
  /** Publishing stops after this long (1 ms to 24 h); acknowledgements are then awaited for drainTimeoutMs. */
  maxDurationMs: number;
  /** Messages published but not yet acknowledged, at most (1 to 65535, default 100). */
  inFlight?: number;
  /** How long to wait for outstanding acknowledgements after the last publish (default 30 s). */
  drainTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Stops publishing early (Ctrl-C); outstanding acknowledgements are still awaited. */
  signal?: AbortSignal;
  onProgress?: (progress: PublishProgress) => void;
  progressIntervalMs?: number;
}

export interface PublishProgress {
  messagesPublished: number;
  messagesAcked: number;
  eventsAcked: number;
  elapsedMs: number;
}

export interface PublishResult extends PublishProgress {
  protocolVersion: 4 | 5;
  messagesFailed: number;
  /** Published but never acknowledged within the drain timeout. */
  unacknowledged: number;
  duplicatesAcked: number;
  invalidAcked: number;
  /** Distinct ids of the acknowledged valid events, in publish order. */
  expectedEventIds: string[];
  stoppedBy: 'exhausted' | 'max-duration' | 'aborted';
  /** The first few publish errors. */
  errors: string[];
}

export class PublishError extends Error {}

const MAX_DURATION_MS = 24 * 3600_000;

export async function connectPublisher(options: Pick<PublisherOptions, 'mqttUrl' | 'clientId' | 'username' | 'password' | 'protocolVersion' | 'connectTimeoutMs'>): Promise<{ client: MqttClient; protocolVersion: 4 | 5 }> {
  const wanted = options.protocolVersion ?? 'auto';
  const versions: Array<4 | 5> = wanted === 'auto' ? [5, 4] : [wanted];
  let lastError: unknown;
  for (const protocolVersion of versions) {
    const clientOptions: IClientOptions = {
      protocolVersion,
      clientId: options.clientId ?? `idis-sim-${process.pid}-${Math.random().toString(16).slice(2, 10)}`,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      username: options.username,
      password: options.password,
    };
    try {
      const client = await connectAsync(options.mqttUrl, clientOptions, false);
      return { client, protocolVersion };
    } catch (error) {
      lastError = error;
    }
  }
  throw new PublishError(`cannot connect to the MQTT broker at ${options.mqttUrl}: ${(lastError as Error)?.message ?? String(lastError)}`);
}

export async function publishMessages(messages: Iterable<SimMessage>, options: PublisherOptions): Promise<PublishResult> {
  if (!Number.isInteger(options.maxDurationMs) || options.maxDurationMs < 1 || options.maxDurationMs > MAX_DURATION_MS) {
    throw new PublishError(`maxDurationMs must be an integer from 1 to ${MAX_DURATION_MS}, got ${options.maxDurationMs}`);
  }
  const window = options.inFlight ?? 100;
  if (!Number.isInteger(window) || window < 1 || window > 65535) throw new PublishError(`inFlight must be an integer from 1 to 65535, got ${window}`);
  if (options.ratePerSecond !== undefined && !(options.ratePerSecond > 0 && options.ratePerSecond <= 10_000_000)) {
    throw new PublishError(`ratePerSecond must be a number above 0 and at most 10000000, got ${options.ratePerSecond}`);
  }
  const drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
  const connections = new Connections(options);
  // The shared connection at once (a broker that cannot be reached fails the call before anything is published), unless enterprises publish with their own credentials.
  const protocolVersion = options.credentials ? undefined : (await connections.forPrefix(undefined)).protocolVersion;

  const started = performance.now();
  const deadline = started + options.maxDurationMs;
  const bucket = options.ratePerSecond ? new TokenBucket(options.ratePerSecond) : undefined;
  let duplicatesAcked = 0;
  let invalidAcked = 0;
  const errors: string[] = [];
  let published = 0;
  let ackedCount = 0;
  let failed = 0;
  let eventsAcked = 0;
  let outstanding = 0;
  let wake: (() => void) | undefined;
  const signalWake = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const progress = (): PublishProgress => ({ messagesPublished: published, messagesAcked: ackedCount, eventsAcked, elapsedMs: Math.round(performance.now() - started) });
  const timer = options.onProgress ? setInterval(() => options.onProgress?.(progress()), options.progressIntervalMs ?? 1000) : undefined;
  options.signal?.addEventListener('abort', signalWake, { once: true });

  /** Waits for an acknowledgement (or abort) until `until`; false on timeout. */
  const nextAck = (until: number) =>
    new Promise<boolean>((resolve) => {
      const remaining = until - performance.now();
      if (remaining <= 0) return resolve(false);
      const t = setTimeout(() => {
        wake = undefined;
        resolve(false);
      }, remaining);
      wake = () => {
        clearTimeout(t);
        resolve(true);
      };
    });

  let stoppedBy: PublishResult['stoppedBy'] = 'exhausted';
  // Only what the result needs: payloads are not kept (a long run publishes millions of them).
  const ordered: Array<{ kind: SimMessage['kind']; eventIds: string[]; ok: boolean | undefined }> = [];
  try {
    for (const message of messages) {
      if (options.signal?.aborted) {
        stoppedBy = 'aborted';
        break;
      }
      if (performance.now() >= deadline) {
        stoppedBy = 'max-duration';
        break;
      }
      if (bucket && !(await bucket.take(Math.max(1, message.eventCount), deadline))) {
        stoppedBy = 'max-duration';
        break;
      }
      let full = false;
      while (outstanding >= window) {
        if (options.signal?.aborted || !(await nextAck(deadline))) {
          full = true;
          break;
        }
      }
      if (full) {
        stoppedBy = options.signal?.aborted ? 'aborted' : 'max-duration';
        break;
      }
      const { client } = await connections.forPrefix(message.publisherPrefix ?? message.enterprisePrefix);
      const slot = { kind: message.kind, eventIds: message.eventIds, ok: undefined as boolean | undefined };
      ordered.push(slot);
      outstanding += 1;
      published += 1;
      client.publish(message.topic, message.payload, { qos: 1 }, (error) => {
        outstanding -= 1;
        if (error) {
          failed += 1;
          slot.ok = false;
          if (errors.length < 10) errors.push(`${message.topic}: ${error.message}`);
        } else {
          ackedCount += 1;
          slot.ok = true;
          if (message.kind === 'events') eventsAcked += message.eventCount;
          else if (message.kind === 'duplicate') duplicatesAcked += 1;
          else invalidAcked += 1;
        }
        signalWake();
      });
    }
    const drainDeadline = performance.now() + drainTimeoutMs;
    while (outstanding > 0 && (await nextAck(drainDeadline))) {
      // each acknowledgement wakes the loop; it ends when all are in or the drain time is up
    }
  } finally {
    if (timer) clearInterval(timer);
    options.signal?.removeEventListener('abort', signalWake);
    await connections.endAll(outstanding > 0);
  }

  const seen = new Set<string>();
  const expectedEventIds: string[] = [];
  for (const slot of ordered) {
    if (slot.ok !== true || slot.kind === 'invalid') continue;
    for (const id of slot.eventIds) {
      if (!seen.has(id)) {
        seen.add(id);
        expectedEventIds.push(id);
      }
    }
  }
  return {
    ...progress(),
    protocolVersion: protocolVersion ?? connections.protocolVersion ?? (options.protocolVersion === 4 ? 4 : 5),
    messagesFailed: failed,
    unacknowledged: outstanding,
    duplicatesAcked,
    invalidAcked,
    expectedEventIds,
    stoppedBy,
    errors,
  };
}

/**
 * The publisher's connections: one shared (options.username / password) and, with per-enterprise
 * credentials, one per enterprise prefix, each opened when its first message comes.
 */
class Connections {
  private readonly open = new Map<string, Promise<{ client: MqttClient; protocolVersion: 4 | 5 }>>();
  protocolVersion: 4 | 5 | undefined;

  constructor(private readonly options: PublisherOptions) {}

  forPrefix(prefix: string | undefined): Promise<{ client: MqttClient; protocolVersion: 4 | 5 }> {
    const credential = prefix === undefined ? undefined : this.options.credentials?.get(prefix.toLowerCase());
    const key = credential ? `enterprise:${prefix?.toLowerCase()}` : 'shared';
    let connection = this.open.get(key);
    if (!connection) {
      const index = this.open.size;
      connection = connectPublisher({
        ...this.options,
        clientId: this.options.clientId && index > 0 ? `${this.options.clientId}-${index}` : this.options.clientId,
        username: credential?.username ?? this.options.username,
        password: credential?.password ?? this.options.password,
      }).then((opened) => {
        this.protocolVersion ??= opened.protocolVersion;
        return opened;
      });
      this.open.set(key, connection);
    }
    return connection;
  }

  async endAll(force: boolean): Promise<void> {
    const settled = await Promise.allSettled(this.open.values());
    await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? s.value.client.endAsync(force).catch(() => undefined) : undefined)));
  }
}
