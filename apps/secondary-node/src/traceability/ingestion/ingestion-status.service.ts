import { Injectable } from '@nestjs/common';
import { COUNTER_NAMES, EventStore } from '../store/event-store';
import { IngestionRuntime } from './ingestion-runtime';

export interface IngestionStatus {
  enabled: boolean;
  disabledReason: string | null;
  /** Totals from the database (ingestion_counters), over all replicas and restarts. */
  storedTotal: number;
  rejectedTotal: number;
  duplicatesTotal: number;
  errorDeclarationsTotal: number;
  /** This process since it started. */
  receivedSinceStart: number;
  acknowledgedSinceStart: number;
  inFlight: number;
  batchesCommitted: number;
  commitRetries: number;
  isolatedPoisonMessages: number;
  lastCommitAt: string | null;
  lastCommitError: { at: string; message: string } | null;
  startedAt: string;
  consumer: {
    connected: boolean;
    connections: { total: number; connected: number; subscribed: number };
    brokerUrl: string | null;
    embeddedBroker: boolean;
    protocolVersion: 4 | 5;
    subscription: string;
    lastError: string | null;
  } | null;
  consumerLag: { storedMessages: number; source: string; at: string; note: string } | null;
  consumerLagNote: string | null;
}

@Injectable()
export class IngestionStatusService {
  constructor(
    private readonly runtime: IngestionRuntime,
    private readonly store: EventStore,
  ) {}

  async status(): Promise<IngestionStatus> {
    const counters = await this.store.counters();
    const stats = this.runtime.stats;
    const consumer = this.runtime.consumerState();
    const lag = consumer?.brokerStoredMessages ?? null;
    return {
      enabled: this.runtime.enabled,
      disabledReason: this.runtime.disabledReason,
      storedTotal: counters[COUNTER_NAMES.stored] ?? 0,
      rejectedTotal: counters[COUNTER_NAMES.rejected] ?? 0,
      duplicatesTotal: counters[COUNTER_NAMES.duplicates] ?? 0,
      errorDeclarationsTotal: counters[COUNTER_NAMES.errorDeclarations] ?? 0,
      receivedSinceStart: stats.receivedSinceStart,
      acknowledgedSinceStart: stats.acknowledgedSinceStart,
      inFlight: stats.inFlight,
      batchesCommitted: stats.batchesCommitted,
      commitRetries: stats.commitRetries,
      isolatedPoisonMessages: stats.isolatedPoisonMessages,
      lastCommitAt: stats.lastCommitAt?.toISOString() ?? null,
      lastCommitError: stats.lastCommitError ? { at: stats.lastCommitError.at.toISOString(), message: stats.lastCommitError.message } : null,
      startedAt: this.runtime.startedAt.toISOString(),
      consumer: consumer
        ? {
            connected: consumer.connected,
            connections: consumer.connections,
            brokerUrl: consumer.brokerUrl,
            embeddedBroker: this.runtime.embeddedBroker,
            protocolVersion: consumer.protocolVersion,
            subscription: consumer.subscription,
            lastError: consumer.lastError,
          }
        : null,
      consumerLag: lag
        ? { storedMessages: lag.value, source: lag.topic, at: lag.at, note: 'broker-wide count of messages the broker holds (queued for offline/slow sessions and retained), as Mosquitto publishes it every sys_interval' }
        : null,
      consumerLagNote: lag
        ? null
        : !this.runtime.enabled
          ? 'ingestion is off'
          : 'the broker does not publish a queue depth ($SYS/broker/store/messages/count not received: aedes, or Mosquitto with sys_interval 0 or not yet published)',
    };
  }
}
