import { Injectable, Optional } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { ReadReplicas } from '../read-replicas/read-replicas';
import { METRIC_PREFIX, NodeMetrics } from './node-metrics';

/**
 * The PostgreSQL read replicas (DATABASE_READ_URLS), read at scrape time: per replica whether it
 * answers, its replay lag and the statements it served; and the reads the primary served because
 * no replica could (marked keys, none in rotation). Nothing is registered without replicas.
 */
@Injectable()
export class ReplicaMetrics {
  constructor(metrics: NodeMetrics, @Optional() replicas?: ReadReplicas) {
    if (!replicas) return;
    const registers = [metrics.registry];
    new Gauge({
      name: `${METRIC_PREFIX}db_replica_up`,
      help: '1 when the read replica answers as a streaming standby, 0 otherwise',
      labelNames: ['replica'],
      registers,
      collect() {
        for (const status of replicas.status()) this.set({ replica: status.replica }, status.up ? 1 : 0);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}db_replica_lag_seconds`,
      help: 'How far the read replica replays behind the primary (age of the oldest primary WAL position it has not replayed; 0 when caught up)',
      labelNames: ['replica'],
      registers,
      collect() {
        this.reset();
        for (const status of replicas.status()) if (status.lagSeconds !== undefined) this.set({ replica: status.replica }, status.lagSeconds);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}db_replica_in_rotation`,
      help: '1 when the read replica serves reads (answering and within DATABASE_READ_MAX_LAG_MS), 0 otherwise',
      labelNames: ['replica'],
      registers,
      collect() {
        for (const status of replicas.status()) this.set({ replica: status.replica }, status.inRotation ? 1 : 0);
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}db_replica_statements_total`,
      help: 'Read statements sent to the read replica, by kind (resolution: primary-key lookups of misses; heavy: listings, statistics, EPCIS queries, trace)',
      labelNames: ['replica', 'kind'],
      registers,
      collect() {
        this.reset();
        for (const status of replicas.status()) {
          this.inc({ replica: status.replica, kind: 'resolution' }, status.served.resolution);
          this.inc({ replica: status.replica, kind: 'heavy' }, status.served.heavy);
        }
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}db_primary_reads_total`,
      help: 'Read statements the primary served although replicas are configured (a key written since the replicas last caught up, no replica in rotation, a replica failing), by kind',
      labelNames: ['kind'],
      registers,
      collect() {
        this.reset();
        this.inc({ kind: 'resolution' }, replicas.primaryReads.resolution);
        this.inc({ kind: 'heavy' }, replicas.primaryReads.heavy);
      },
    });
  }
}
