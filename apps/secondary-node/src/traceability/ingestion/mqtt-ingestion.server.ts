import { Logger } from '@nestjs/common';
import { redactUrl } from '@idis/runtime';
import { BaseRpcContext, type CustomTransportStrategy, type MessageHandler, Server } from '@nestjs/microservices';
import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { lastValueFrom } from 'rxjs';
import type { IngestionConfig } from './ingestion-config';
import type { IncomingMessage, IngestionStats, IngestPipeline } from './ingest-pipeline';

/** The @EventPattern every EPCIS message is dispatched to (see IngestionController). */
export const EPCIS_MESSAGE_PATTERN = 'idis.epcis.message';

export const MQTT_INGESTION_TRANSPORT = Symbol('mqtt-ingestion');

/** Context of one MQTT message: [topic, packet]. */
export class MqttIngestionContext extends BaseRpcContext<[string, IPublishPacket]> {
  getTopic(): string {
    return this.args[0];
  }

  getPacket(): IPublishPacket {
    return this.args[1];
  }
}

export interface ConsumerState {
  connected: boolean;
  connections: { total: number; connected: number; subscribed: number };
  brokerUrl: string | null;
  protocolVersion: 4 | 5;
  subscription: string;
  /** Broker-wide stored message count from Mosquitto's $SYS tree, when it publishes one. */
  brokerStoredMessages: { value: number; topic: string; at: string } | null;
  lastError: string | null;
}

const SYS_TOPICS = ['$SYS/broker/store/messages/count', '$SYS/broker/messages/stored'];

/**
 * EPCIS ingestion as a custom @nestjs/microservices transport over MQTT.js — not Nest's
 * Transport.MQTT, which acknowledges a message as soon as it arrives, before its handler ran.
 *
 * Each message is dispatched to the EPCIS_MESSAGE_PATTERN handler, whose promise resolves once the
 * message's batch has committed; only then does the PUBACK go out. MQTT.js handles the packets of
 * one connection strictly one at a time and sends the PUBACK when its handleMessage callback is
 * called. Two ways to hold it back (MQTT_ACK_MODE):
 * - 'deferred' (default): the callback is called at once with an error, which makes MQTT.js read
 *   on without acknowledging; the PUBACK is written after the commit. Up to receiveMaximum messages
 *   per connection are held; beyond that the callback is held too, so MQTT.js stops reading the
 *   socket (back-pressure up to the broker, which queues for the session).
 * - 'handle-message': the callback itself is held until the commit (one message per connection).
 * The transport opens `connections` connections, all members of one MQTT 5 shared subscription
 * `$share/{group}/{root}/+/events`, and the pipeline batches across them. Client ids are stable
 * (`{clientId}-{i}`) and sessions persistent (clean: false, sessionExpiryInterval), so the broker
 * queues messages while the node is down and redelivers unacknowledged ones when it returns.
 *
 * MQTT 3.1.1 (the embedded aedes broker) has no shared subscriptions: one connection with a plain
 * subscription `{root}/+/events`.
 *
 * A side connection (clean session) publishes rejects to `{root}/{prefix}/rejects` and reads
 * Mosquitto's $SYS counters for the status page; it never blocks on the consumer connections.
 */
export class MqttIngestionServer extends Server implements CustomTransportStrategy {
  override transportId = MQTT_INGESTION_TRANSPORT;
  private clients: MqttClient[] = [];
  private side: MqttClient | undefined;
  private readonly subscribed = new Set<number>();
  private readonly generations: number[] = [];
  /** Deferred mode: messages each connection holds unacknowledged, and its paused reader. */
  private readonly held: number[] = [];
  private readonly paused: Array<(() => void) | undefined> = [];
  private closing = false;
  private handler: MessageHandler | undefined;
  listening = false;
  private brokerUrl: string | null = null;
  private lastError: string | null = null;
  private brokerStored: ConsumerState['brokerStoredMessages'] = null;
  private readonly log = new Logger('MqttIngestion');

  constructor(
    private readonly config: IngestionConfig,
    private readonly resolveBrokerUrl: () => string,
    private readonly stats: IngestionStats,
    private readonly pipeline: Pick<IngestPipeline, 'attach' | 'close'>,
  ) {
    super();
  }

  get subscription(): string {
    const filter = `${this.config.topicRoot}/+/events`;
    return this.config.protocolVersion === 5 ? `$share/${this.config.shareGroup}/${filter}` : filter;
  }

  listen(callback: (...optionalParams: unknown[]) => void): void {
    try {
      this.brokerUrl = this.resolveBrokerUrl();
      for (let i = 0; i < this.config.connections; i += 1) this.clients.push(this.openConsumer(this.brokerUrl, i));
      this.side = this.openSide(this.brokerUrl);
      const perConnection = this.config.ackMode === 'deferred' ? this.config.receiveMaximum : 1;
      this.pipeline.attach((segment, body) => this.announceReject(segment, body), this.config.connections * perConnection);
      this.listening = true;
      // Start-up does not wait for the broker: the connections keep retrying and the status says so.
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /**
   * Graceful stop: the batch being committed finishes and is acknowledged; messages not yet in a
   * committed batch stay unacknowledged in the broker's session for this client id.
   */
  async close(): Promise<void> {
    await this.pipeline.close();
    // Let the acknowledgements of the last commit run before the connections go.
    await new Promise((resolve) => setImmediate(resolve));
    this.closing = true;
    this.listening = false;
    await Promise.all([...this.clients, ...(this.side ? [this.side] : [])].map((client) => new Promise<void>((resolve) => client.end(true, {}, () => resolve()))));
    this.clients = [];
    this.side = undefined;
  }

  on(): void {
    throw new Error('MqttIngestionServer does not expose events; read state() instead');
  }

  unwrap<T>(): T {
    return this.clients as T;
  }

  /** Publishes a reject notice (QoS 1, not awaited: the reject is in the database already). */
  announceReject(prefixSegment: string, body: unknown): void {
    this.side?.publish(`${this.config.topicRoot}/${prefixSegment}/rejects`, JSON.stringify(body), { qos: 1 }, (error) => {
      if (error) this.log.warn(`reject notice to ${prefixSegment} not published: ${error.message}`);
    });
  }

  state(): ConsumerState {
    const connected = this.clients.filter((c) => c.connected).length;
    return {
      connected: connected > 0 && connected === this.clients.length,
      connections: { total: this.config.connections, connected, subscribed: this.subscribed.size },
      brokerUrl: this.brokerUrl ? redactUrl(this.brokerUrl) : null,
      protocolVersion: this.config.protocolVersion,
      subscription: this.subscription,
      brokerStoredMessages: this.brokerStored,
      lastError: this.lastError,
    };
  }

  private openConsumer(url: string, index: number): MqttClient {
    const v5 = this.config.protocolVersion === 5;
    const options: IClientOptions = {
      clientId: `${this.config.clientId}-${index}`,
      protocolVersion: this.config.protocolVersion,
      clean: false,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      keepalive: 30,
      resubscribe: false,
      username: this.config.username,
      password: this.config.password,
      ...(v5 ? { properties: { sessionExpiryInterval: this.config.sessionExpirySeconds, receiveMaximum: this.config.receiveMaximum } } : {}),
    };
    const client = connect(url, options);
    this.generations[index] = 0;
    this.held[index] = 0;
    client.handleMessage = (packet, done) => {
      const generation = this.generations[index];
      const qos1 = packet.qos === 1;
      const deferred = qos1 && this.config.ackMode === 'deferred';
      const acknowledge = () => {
        if (this.closing) return;
        // An ack after a reconnect would name a packet id of the old connection, which the
        // broker may have reused: leave it; the broker redelivers and the copy is a duplicate.
        if (generation !== this.generations[index] || !client.connected) return;
        if (qos1) this.stats.acknowledgedSinceStart += 1;
        if (!deferred) return done();
        writePuback(client, (packet as IPublishPacket).messageId as number);
        this.held[index] -= 1;
        const resume = this.paused[index];
        if (resume && this.held[index] < this.config.receiveMaximum) {
          this.paused[index] = undefined;
          resume();
        }
      };
      void this.dispatch(packet as IPublishPacket).then(acknowledge, (error: unknown) => {
        this.log.error(`message on ${packet.topic} not processed, left unacknowledged: ${(error as Error)?.message ?? String(error)}`);
      });
      if (!deferred) return; // 'handle-message': MQTT.js sends the PUBACK when done() is called after the commit
      // Deferred: done(error) lets MQTT.js read on WITHOUT sending its PUBACK (publish.ts skips it
      // on an error); acknowledge() writes it after the commit. Past receiveMaximum held messages
      // the connection stops reading until acknowledgements free room: back-pressure to the broker.
      this.held[index] += 1;
      if (this.held[index] < this.config.receiveMaximum) done(PUBACK_DEFERRED);
      else this.paused[index] = () => done(PUBACK_DEFERRED);
    };
    client.on('connect', () => {
      this.generations[index] += 1;
      client.subscribe(this.subscription, { qos: 1 }, (error, granted) => {
        if (error || !granted || granted.some((g) => g.qos > 2)) {
          this.lastError = `subscribe ${this.subscription} refused: ${error?.message ?? JSON.stringify(granted)}`;
          this.log.error(this.lastError);
          return;
        }
        this.subscribed.add(index);
      });
    });
    client.on('close', () => {
      this.generations[index] += 1;
      // Whatever this connection held is the broker's again (it redelivers); its reader is gone.
      this.held[index] = 0;
      this.paused[index] = undefined;
      this.subscribed.delete(index);
    });
    client.on('error', (error) => {
      this.lastError = error.message;
      if (!this.closing) this.log.warn(`MQTT connection ${index}: ${error.message}`);
    });
    return client;
  }

  private openSide(url: string): MqttClient {
    const client = connect(url, {
      clientId: `${this.config.clientId}-side`,
      protocolVersion: this.config.protocolVersion,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      username: this.config.username,
      password: this.config.password,
    });
    client.on('connect', () => client.subscribe(SYS_TOPICS, { qos: 0 }, () => undefined));
    client.on('message', (topic, payload) => {
      const value = Number(payload.toString());
      if (Number.isFinite(value)) this.brokerStored = { value, topic, at: new Date().toISOString() };
    });
    client.on('error', (error) => {
      if (!this.closing) this.log.warn(`MQTT side connection: ${error.message}`);
    });
    return client;
  }

  private dispatch(packet: IPublishPacket): Promise<void> {
    // Looked up once: Nest's getHandlerByPattern tries JSON.parse on the pattern at every call.
    this.handler ??= this.getHandlerByPattern(EPCIS_MESSAGE_PATTERN) ?? undefined;
    const handler = this.handler;
    if (!handler) return Promise.reject(new Error(`no handler for ${EPCIS_MESSAGE_PATTERN}`));
    const message: IncomingMessage = { topic: packet.topic, payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload) };
    const context = new MqttIngestionContext([packet.topic, packet]);
    // A plain promise chain, not an async frame: the message waits here until its batch commits.
    return handler(message, context).then((result) => {
      // The handler's own promise has settled: nothing more to wait for (the usual case, without an
      // observable per message). An observable here is what Nest's exception handling returns on error.
      if (result === undefined) return undefined;
      return lastValueFrom(this.transformToObservable(result), { defaultValue: undefined }).then(() => undefined);
    });
  }
}

/** Passed to MQTT.js's handleMessage callback so that it does not send the PUBACK itself. */
const PUBACK_DEFERRED = new Error('PUBACK deferred until the batch commits');

/**
 * Writes a PUBACK through MQTT.js's packet writer (MqttClient#_sendPacket, the method its own
 * publish handler uses; mqtt 5.16.0 is pinned). tests/integration/ingestion-delivery.spec.ts
 * proves from the broker's side that nothing is acknowledged before the commit.
 */
function writePuback(client: MqttClient, messageId: number): void {
  (client as unknown as { _sendPacket(packet: object, cb: () => void): void })._sendPacket({ cmd: 'puback', messageId, reasonCode: 0 }, () => undefined);
}
