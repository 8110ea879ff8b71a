import { Injectable, Optional } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, type Metric, Registry } from 'prom-client';
import { UsageCounter } from '../statistics/usage-counter';
import { REGISTRATION_OPERATIONS, RESOLUTION_DOORS, RESOLUTION_OUTCOMES } from '../statistics/usage-kinds';
import { ResolutionFastPath } from '../resolution/resolution-fast-path';
import { ResolutionHealth, type ResolutionCacheStats } from '../resolution/resolution-health';
import { LATENCY_BUCKETS, ResolutionLatency } from '../statistics/resolution-latency';

export const METRIC_PREFIX = 'idis_';

/**
 * A counter without labels whose value is read from `read` at scrape time (the running count is
 * kept where the work is done; prom-client only reports it).
 */
export function countedAtScrape(registry: Registry, name: string, help: string, read: () => number): Counter {
  return new Counter({
    name: `${METRIC_PREFIX}${name}`,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** Where the cache gauges are read on every scrape (the resolution caches' health in the node). */
export interface CacheStatsSource {
  cacheStats(): ResolutionCacheStats;
}

const NO_CACHE_STATS: CacheStatsSource = Object.freeze({
  cacheStats: (): ResolutionCacheStats => ({ l1Entries: 0, l1Bytes: 0, redisBreaker: 'disabled' }),
});

/** Value of the idis_redis_breaker_state gauge for each state. */
const BREAKER_STATE_VALUE: Readonly<Record<ResolutionCacheStats['redisBreaker'], number>> = Object.freeze({ closed: 0, half_open: 1, open: 2, disabled: -1 });

/**
 * The node's Prometheus registry (its own, not prom-client's global one, so that several nodes in
 * one process, as in tests, do not collide). Everything but the process metrics is read from the
 * counters on each scrape, so the request path never touches prom-client. Each metric below adds
 * itself to the registry (`registers`) and sets its values in collect(), called at scrape time.
 */
@Injectable()
export class NodeMetrics {
  readonly registry = new Registry();
  private cacheStats: CacheStatsSource = NO_CACHE_STATS;

  constructor(
    private readonly usage: UsageCounter,
    private readonly latency: ResolutionLatency,
    @Optional() resolution?: ResolutionHealth,
    @Optional() private readonly fastPath?: ResolutionFastPath,
  ) {
    if (resolution) this.cacheStats = resolution;
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    this.registerResolutionMetrics();
    this.registerCacheMetrics();
    this.registerStatisticsMetrics();
  }

  /** Binds the cache gauges explicitly (instead of the resolution caches' health). */
  useCacheStats(source: CacheStatsSource): void {
    this.cacheStats = source;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  private registerResolutionMetrics(): void {
    const usage = this.usage;
    const fastPath = this.fastPath;
    countedAtScrape(this.registry, 'resolution_fast_path_answers_total', 'Handle REST resolutions answered from L1 before routing (anonymous GET without a query string); 0 where the fast path is off (CORS, or resolution log lines)', () => fastPath?.answers ?? 0);
    new Counter({
      name: `${METRIC_PREFIX}resolutions_total`,
      help: 'Resolutions by outcome: answered from l1, l2 or db, not_found, or error',
      labelNames: ['outcome'],
      registers: [this.registry],
      collect() {
        const totals = usage.resolutionTotals();
        this.reset();
        for (const outcome of RESOLUTION_OUTCOMES) this.inc({ outcome }, totals[outcome]);
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}resolutions_by_door_total`,
      help: 'Resolutions by front door: handle_rest, snms, proxy, cross_node (another node over HTTP), handle (the Handle protocol on UDP/TCP)',
      labelNames: ['door'],
      registers: [this.registry],
      collect() {
        const totals = usage.doorTotals();
        this.reset();
        for (const door of RESOLUTION_DOORS) this.inc({ door }, totals[door]);
      },
    });
    new Counter({
      name: `${METRIC_PREFIX}registrations_total`,
      help: 'Identifiers created, updated or deleted',
      labelNames: ['operation'],
      registers: [this.registry],
      collect() {
        const totals = usage.registrationTotals();
        this.reset();
        for (const operation of REGISTRATION_OPERATIONS) this.inc({ operation }, totals[operation]);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}cache_hit_ratio`,
      help: 'Share of found records answered from a cache, (l1 + l2) / (l1 + l2 + db), since the process started (NaN before the first); use rate(idis_resolutions_total) for a window',
      registers: [this.registry],
      collect() {
        const totals = usage.resolutionTotals();
        const lookups = totals.l1 + totals.l2 + totals.db;
        this.set(lookups === 0 ? Number.NaN : (totals.l1 + totals.l2) / lookups);
      },
    });
    this.registry.registerMetric(latencyHistogram(this.latency));
  }

  private registerCacheMetrics(): void {
    const stats = () => this.cacheStats.cacheStats();
    new Gauge({
      name: `${METRIC_PREFIX}l1_entries`,
      help: 'Entries in the in-process (L1) resolution cache',
      registers: [this.registry],
      collect() {
        this.set(stats().l1Entries);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}l1_bytes`,
      help: 'Approximate bytes held by the in-process (L1) resolution cache',
      registers: [this.registry],
      collect() {
        this.set(stats().l1Bytes);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}redis_breaker_state`,
      help: 'Redis (L2) circuit breaker: 0 closed (Redis in use), 1 half-open (probing), 2 open (Redis bypassed), -1 no Redis',
      registers: [this.registry],
      collect() {
        this.set(BREAKER_STATE_VALUE[stats().redisBreaker]);
      },
    });
  }

  private registerStatisticsMetrics(): void {
    const usage = this.usage;
    new Gauge({
      name: `${METRIC_PREFIX}statistics_unflushed_cells`,
      help: 'Prefix-minute counters held in memory, not yet added to usage_counts',
      registers: [this.registry],
      collect() {
        this.set(usage.health().unflushedCells);
      },
    });
    countedAtScrape(this.registry, 'statistics_flush_failures_total', 'Statistics flushes the database refused (the counts were kept and retried)', () => usage.health().failedFlushes);
    countedAtScrape(this.registry, 'statistics_dropped_counts_total', 'Counts given up because the database refused flushes for longer than memory allows', () => usage.health().droppedCounts);
  }
}

/**
 * idis_resolution_duration_seconds as a Prometheus histogram, read from ResolutionLatency at scrape
 * time. It is a prom-client collector object (name, help, type and get(), the shape its own
 * Histogram returns), because a prom-client Histogram cannot be fed pre-aggregated buckets.
 */
function latencyHistogram(latency: ResolutionLatency): Metric {
  const name = `${METRIC_PREFIX}resolution_duration_seconds`;
  const collector = {
    name,
    help: 'Time to answer a resolution, by the tier that answered (l1, l2, db) or not_found / error',
    type: 'histogram',
    aggregator: 'sum',
    async get() {
      const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
      for (const tier of latency.snapshot()) {
        LATENCY_BUCKETS.forEach((le, i) => values.push({ metricName: `${name}_bucket`, labels: { le, tier: tier.tier }, value: tier.cumulative[i] }));
        values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', tier: tier.tier }, value: tier.count });
        values.push({ metricName: `${name}_sum`, labels: { tier: tier.tier }, value: tier.sum });
        values.push({ metricName: `${name}_count`, labels: { tier: tier.tier }, value: tier.count });
      }
      return { name, help: collector.help, type: collector.type, aggregator: collector.aggregator, values };
    },
  };
  return collector as unknown as Metric;
}
