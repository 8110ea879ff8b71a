import { Logger } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import type { UsageCountRows, UsageCountStore } from '../statistics/usage-count.repository';
import { UsageCounter } from '../statistics/usage-counter';
import { EventHub } from '../events/event-hub';
import { type CacheStatsSource, NodeMetrics } from './node-metrics';
import { ResolutionHealth, type ResolutionCacheStats } from '../resolution/resolution-health';
import { LATENCY_BUCKETS, ResolutionLatency } from '../statistics/resolution-latency';
import { ResolutionRecorder } from './resolution-recorder';
import { parsePrometheus } from '../../../../tests/support/prometheus';


class MemoryStore implements UsageCountStore {
  readonly rows: UsageCountRows[] = [];
  async addCounts(rows: UsageCountRows): Promise<void> {
    this.rows.push(rows);
  }
  async homedPrefixKeys(): Promise<string[]> {
    return ['88.118.8'];
  }
}

async function metricsModule(cacheStats?: CacheStatsSource): Promise<TestingModule> {
  const usage = new UsageCounter(new MemoryStore(), { flushIntervalMs: 60_000 });
  const module = await Test.createTestingModule({
    providers: [EventHub, NodeMetrics, ResolutionLatency, ResolutionRecorder, { provide: UsageCounter, useValue: usage }, ...(cacheStats ? [{ provide: ResolutionHealth, useValue: cacheStats }] : [])],
  }).compile();
  await module.init();
  await usage.start();
  return module;
}

describe('NodeMetrics', () => {
  let module: TestingModule | undefined;
  beforeAll(() => Logger.overrideLogger(false));
  afterEach(async () => {
    await module?.close();
    module = undefined;
  });

  it('declares every metric family with its Prometheus type, process metrics under the idis_ prefix', async () => {
    module = await metricsModule();
    const { types } = parsePrometheus(await module.get(NodeMetrics).metrics());
    expect(Object.fromEntries([...types].filter(([name]) => !/^idis_(process|nodejs)_/.test(name)))).toEqual({
      idis_resolution_duration_seconds: 'histogram',
      idis_resolution_fast_path_answers_total: 'counter',
      idis_resolutions_total: 'counter',
      idis_resolutions_by_door_total: 'counter',
      idis_registrations_total: 'counter',
      idis_cache_hit_ratio: 'gauge',
      idis_l1_entries: 'gauge',
      idis_l1_bytes: 'gauge',
      idis_redis_breaker_state: 'gauge',
      idis_statistics_unflushed_cells: 'gauge',
      idis_statistics_flush_failures_total: 'counter',
      idis_statistics_dropped_counts_total: 'counter',
    });
    expect(types.get('idis_process_cpu_user_seconds_total')).toBe('counter');
    expect(types.get('idis_nodejs_heap_size_used_bytes')).toBe('gauge');
    expect(types.get('idis_nodejs_eventloop_lag_p99_seconds')).toBe('gauge');
  });

  it('turns recorded resolutions into a per-tier latency histogram with sub-millisecond buckets, and outcome counters', async () => {
    module = await metricsModule();
    const recorder = module.get(ResolutionRecorder);
    for (let i = 0; i < 3; i += 1) recorder.observeResolution('88.118.8', 'l1', 0.00003);
    recorder.observeResolution('88.118.8', 'l1', 0.0002);
    recorder.observeResolution('88.118.8', 'db', 0.002);
    recorder.observeResolution('88.118.8', 'not_found', 0.0001); // on a bound: counted in le="0.0001"
    module.get(EventHub).signal('resolution.observed', '88.200.1', 'error', 10, 'proxy'); // what the front doors send: the recorder listens

    const { samples } = parsePrometheus(await module.get(NodeMetrics).metrics());
    const bucket = (tier: string, le: string) => samples.get(`idis_resolution_duration_seconds_bucket{le="${le}",tier="${tier}"}`);
    expect(LATENCY_BUCKETS.slice(0, 4)).toEqual([0.00005, 0.0001, 0.00025, 0.0005]);
    expect([bucket('l1', '0.00005'), bucket('l1', '0.0001'), bucket('l1', '0.00025'), bucket('l1', '2.5'), bucket('l1', '+Inf')]).toEqual([3, 3, 4, 4, 4]);
    expect(samples.get('idis_resolution_duration_seconds_count{tier="l1"}')).toBe(4);
    expect(samples.get('idis_resolution_duration_seconds_sum{tier="l1"}')).toBeCloseTo(0.00029, 12);
    expect([bucket('db', '0.001'), bucket('db', '0.0025')]).toEqual([0, 1]);
    expect([bucket('not_found', '0.00005'), bucket('not_found', '0.0001')]).toEqual([0, 1]);
    expect([bucket('error', '2.5'), bucket('error', '+Inf')]).toEqual([0, 1]);
    expect([bucket('l2', '+Inf'), samples.get('idis_resolution_duration_seconds_count{tier="l2"}')]).toEqual([0, 0]);

    expect(samples.get('idis_resolutions_total{outcome="l1"}')).toBe(4);
    expect(samples.get('idis_resolutions_total{outcome="l2"}')).toBe(0);
    expect(samples.get('idis_resolutions_total{outcome="db"}')).toBe(1);
    expect(samples.get('idis_resolutions_total{outcome="not_found"}')).toBe(1);
    expect(samples.get('idis_resolutions_total{outcome="error"}')).toBe(1);
    expect(samples.get('idis_cache_hit_ratio')).toBe(0.8);
    // The recorder also counted them per prefix for the statistics table.
    expect(module.get(UsageCounter).health().unflushedCells).toBe(2);
  });

  it('counts registrations by operation and keeps counters monotonic across scrapes', async () => {
    module = await metricsModule();
    const usage = module.get(UsageCounter);
    const metrics = module.get(NodeMetrics);
    usage.recordRegistrations('88.118.8', 2000, 'create');
    expect(parsePrometheus(await metrics.metrics()).samples.get('idis_registrations_total{operation="create"}')).toBe(2000);
    usage.recordRegistrations('88.118.8', 5, 'create');
    usage.recordRegistrations('88.118.8', 1, 'delete');
    await usage.flush();
    const { samples } = parsePrometheus(await metrics.metrics());
    expect(samples.get('idis_registrations_total{operation="create"}')).toBe(2005);
    expect(samples.get('idis_registrations_total{operation="update"}')).toBe(0);
    expect(samples.get('idis_registrations_total{operation="delete"}')).toBe(1);
    expect(samples.get('idis_statistics_unflushed_cells')).toBe(0);
  });

  it('reads the cache gauges from the health of the resolution caches', async () => {
    let stats: ResolutionCacheStats = { l1Entries: 1234, l1Bytes: 567_890, redisBreaker: 'open' };
    module = await metricsModule({ cacheStats: () => stats });
    const metrics = module.get(NodeMetrics);
    let { samples } = parsePrometheus(await metrics.metrics());
    expect([samples.get('idis_l1_entries'), samples.get('idis_l1_bytes'), samples.get('idis_redis_breaker_state')]).toEqual([1234, 567_890, 2]);
    stats = { l1Entries: 1, l1Bytes: 300, redisBreaker: 'half_open' };
    ({ samples } = parsePrometheus(await metrics.metrics()));
    expect([samples.get('idis_l1_entries'), samples.get('idis_l1_bytes'), samples.get('idis_redis_breaker_state')]).toEqual([1, 300, 1]);
  });

  it('reports an empty L1, no Redis and no hit ratio when nothing provides cache stats, and accepts an explicit binding', async () => {
    module = await metricsModule();
    const metrics = module.get(NodeMetrics);
    let { samples } = parsePrometheus(await metrics.metrics());
    expect([samples.get('idis_l1_entries'), samples.get('idis_l1_bytes'), samples.get('idis_redis_breaker_state')]).toEqual([0, 0, -1]);
    expect(samples.get('idis_cache_hit_ratio')).toBeNaN();

    metrics.useCacheStats({ cacheStats: () => ({ l1Entries: 7, l1Bytes: 70, redisBreaker: 'closed' }) });
    ({ samples } = parsePrometheus(await metrics.metrics()));
    expect([samples.get('idis_l1_entries'), samples.get('idis_redis_breaker_state')]).toEqual([7, 0]);
  });

  it('gives each node its own registry, so two nodes in one process do not collide', async () => {
    module = await metricsModule();
    const other = await metricsModule();
    try {
      module.get(ResolutionRecorder).observeResolution('88.118.8', 'l1', 0.0001);
      const mine = parsePrometheus(await module.get(NodeMetrics).metrics()).samples;
      const theirs = parsePrometheus(await other.get(NodeMetrics).metrics()).samples;
      expect([mine.get('idis_resolutions_total{outcome="l1"}'), theirs.get('idis_resolutions_total{outcome="l1"}')]).toEqual([1, 0]);
    } finally {
      await other.close();
    }
  });
});

describe('ResolutionLatency', () => {
  it('treats negative or NaN durations as zero rather than corrupting the sum', () => {
    const latency = new ResolutionLatency();
    latency.observe('l1', -1);
    latency.observe('l1', Number.NaN);
    const l1 = latency.snapshot().find((t) => t.tier === 'l1');
    expect(l1).toMatchObject({ count: 2, sum: 0 });
    expect(l1?.cumulative[0]).toBe(2);
  });
});
