import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit, Optional } from '@nestjs/common';
import { INGESTION_CONFIG, type IngestionConfig } from './ingestion-config';
import { PrefixDirectory } from '../../registry/prefix-directory.service';
import { refusalMessage } from '../../limits/refusal-reply';
import { RequestLimits } from '../../limits/request-limits';
import { EventStore } from '../store/event-store';
import { MqttAccessService } from '../mqtt-access/mqtt-access.service';
import { EmbeddedBroker } from './embedded-broker';
import { IngestionStats, IngestPipeline } from './ingest-pipeline';
import { type ActivePrefixes, MessageValidator } from './message-validator';
import { type ConsumerState, MqttIngestionServer } from './mqtt-ingestion.server';

/**
 * Active prefixes as the registry's PrefixDirectory knows them (refreshed every few seconds). An
 * unknown prefix forces one reload at most once a second, so a prefix activated on another replica
 * is accepted at once while a flood of messages for a foreign prefix does not hammer the database.
 */
class DirectoryActivePrefixes implements ActivePrefixes {
  private lastForcedReload = 0;

  constructor(private readonly directory: PrefixDirectory) {}

  async isActive(prefixKey: string): Promise<boolean> {
    if (await this.directory.isHomed(prefixKey)) return true;
    if (Date.now() - this.lastForcedReload < 1000) return false;
    this.lastForcedReload = Date.now();
    await this.directory.refresh();
    return this.directory.snapshot().has(prefixKey);
  }
}

/** MQTT messages per enterprise prefix (family mqtt): the refusal's text, or undefined when admitted. */
function admitMessage(limits: RequestLimits, prefixKey: string): string | undefined {
  const refusal = limits.takeNow('mqtt', `prefix:${prefixKey}`);
  return refusal ? refusalMessage('mqtt', refusal) : undefined;
}

/**
 * Owns the ingestion pieces of one process: the validator, the batching pipeline, the MQTT
 * transport strategy (connected by bootstrap with app.connectMicroservice) and, in the embedded
 * profile, the in-process aedes broker.
 */
@Injectable()
export class IngestionRuntime implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Ingestion');
  readonly stats = new IngestionStats();
  readonly validator: MessageValidator;
  readonly pipeline: IngestPipeline;
  private broker: EmbeddedBroker | undefined;
  private server: MqttIngestionServer | undefined;
  readonly startedAt = new Date();

  constructor(
    @Inject(INGESTION_CONFIG) private readonly config: IngestionConfig,
    directory: PrefixDirectory,
    store: EventStore,
    private readonly access: MqttAccessService,
    @Optional() limits?: RequestLimits,
  ) {
    const ingestion = config;
    const admission = limits?.isLimited('mqtt') ? (prefixKey: string) => admitMessage(limits, prefixKey) : undefined;
    this.validator = new MessageValidator(
      ingestion.topicRoot,
      new DirectoryActivePrefixes(directory),
      { maxPayloadBytes: ingestion.maxPayloadBytes, maxEventsPerDocument: ingestion.maxEventsPerDocument },
      admission,
    );
    this.pipeline = new IngestPipeline(this.validator, store, ingestion, this.stats);
  }

  get enabled(): boolean {
    return this.config.enabled;
  }

  get disabledReason(): string | null {
    return this.config.disabledReason;
  }

  async onModuleInit(): Promise<void> {
    const ingestion = this.config;
    if (ingestion.enabled && ingestion.mqttUrl === undefined) {
      this.broker = new EmbeddedBroker(ingestion.embeddedBrokerPort, this.access);
      await this.broker.start();
    }
  }

  /** The broker URL consumers and publishers use (the embedded one once it listens). */
  brokerUrl(): string | undefined {
    return this.config.mqttUrl ?? this.broker?.url;
  }

  get embeddedBroker(): boolean {
    return this.broker !== undefined;
  }

  /** The transport strategy to pass to app.connectMicroservice; undefined when ingestion is off. */
  transport(): MqttIngestionServer | undefined {
    if (!this.enabled) return undefined;
    // The embedded broker refuses anonymous clients: the consumer is the node's own identity there.
    // (Decided from the configuration: bootstrap asks for the transport before the broker starts.)
    const consumerConfig = this.config.mqttUrl === undefined ? { ...this.config, ...this.access.nodeIdentity() } : this.config;
    this.server ??= new MqttIngestionServer(
      consumerConfig,
      () => {
        const url = this.brokerUrl();
        if (!url) throw new Error('no MQTT broker URL');
        return url;
      },
      this.stats,
      this.pipeline,
    );
    return this.server;
  }

  consumerState(): ConsumerState | null {
    return this.server?.listening ? this.server.state() : null;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pipeline.close();
    if (this.broker) {
      await this.broker.stop().catch((error: Error) => this.logger.warn(`embedded broker: ${error.message}`));
      this.broker = undefined;
    }
  }
}
