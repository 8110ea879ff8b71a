import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { IngestionRuntime } from '../traceability/ingestion/ingestion-runtime';
import { countedAtScrape, METRIC_PREFIX, NodeMetrics } from './node-metrics';

/**
 * Ingestion metrics on the node's /metrics registry, read from IngestionStats at scrape time (the
 * hot path never touches prom-client). Counters are since the process started; the database
 * totals are on GET /api/v1/ingestion/status.
 */
@Injectable()
export class IngestionMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: NodeMetrics,
    private readonly runtime: IngestionRuntime,
  ) {}

  onModuleInit(): void {
    const registry = this.metrics.registry;
    const stats = this.runtime.stats;
    const runtime = this.runtime;
    const counter = (name: string, help: string, read: () => number) => countedAtScrape(registry, name, help, read);
    counter('ingestion_messages_received_total', 'MQTT messages received by this process', () => stats.receivedSinceStart);
    counter('ingestion_messages_acknowledged_total', 'MQTT messages acknowledged (PUBACK) after their batch committed', () => stats.acknowledgedSinceStart);
    counter('ingestion_events_stored_total', 'EPCIS events stored as new rows by this process (MQTT and capture)', () => stats.storedSinceStart);
    counter('ingestion_events_duplicate_total', 'EPCIS events that were already stored (redelivered or republished)', () => stats.duplicatesSinceStart);
    counter('ingestion_error_declarations_total', 'EPCIS error declarations applied', () => stats.errorDeclarationsSinceStart);
    counter('ingestion_batches_committed_total', 'Ingestion batches committed', () => stats.batchesCommitted);
    counter('ingestion_batch_commit_seconds_total', 'Time spent committing ingestion batches (divide by batches for the mean)', () => stats.commitSecondsSum);
    counter('ingestion_commit_retries_total', 'Batch commits PostgreSQL refused for a reason other than the data (retried, nothing acknowledged)', () => stats.commitRetries);
    new Counter({
      name: `${METRIC_PREFIX}ingestion_rejects_total`,
      help: 'MQTT messages rejected (stored in epcis_rejects, announced, acknowledged), by reason',
      labelNames: ['reason'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [reason, count] of stats.rejectsByReason) this.inc({ reason }, count);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}ingestion_in_flight_messages`,
      help: 'MQTT messages received and not yet committed',
      registers: [registry],
      collect() {
        this.set(stats.inFlight);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}ingestion_last_commit_timestamp_seconds`,
      help: 'Unix time of the last committed ingestion batch (0 before the first)',
      registers: [registry],
      collect() {
        this.set(stats.lastCommitAt ? stats.lastCommitAt.getTime() / 1000 : 0);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}ingestion_consumer_connected`,
      help: 'MQTT consumer connections up (-1 when ingestion is off)',
      registers: [registry],
      collect() {
        const state = runtime.consumerState();
        this.set(state ? state.connections.connected : -1);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}ingestion_broker_stored_messages`,
      help: 'Messages the broker holds, from Mosquitto $SYS/broker/store/messages/count (NaN when the broker does not say)',
      registers: [registry],
      collect() {
        this.set(runtime.consumerState()?.brokerStoredMessages?.value ?? Number.NaN);
      },
    });
  }
}
