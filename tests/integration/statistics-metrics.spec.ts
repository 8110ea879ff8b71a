import { ResolutionRecorder } from '../../apps/secondary-node/src/metrics/resolution-recorder';
import { UsageCounter } from '../../apps/secondary-node/src/statistics/usage-counter';
import { TestNode } from '../support/test-node';
import { parsePrometheus } from '../support/prometheus';


describe('GET /metrics', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await TestNode.start();
  });
  afterAll(async () => {
    await node?.stop();
  });

  const scrape = async () => {
    const reply = await node.request('GET', '/metrics');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return parsePrometheus(reply.text);
  };

  it('serves Prometheus text without a token, with every idis_ family and its type', async () => {
    const { types } = await scrape();
    expect(types.get('idis_resolution_duration_seconds')).toBe('histogram');
    expect(types.get('idis_resolutions_total')).toBe('counter');
    expect(types.get('idis_registrations_total')).toBe('counter');
    expect(types.get('idis_cache_hit_ratio')).toBe('gauge');
    expect(types.get('idis_l1_entries')).toBe('gauge');
    expect(types.get('idis_l1_bytes')).toBe('gauge');
    expect(types.get('idis_redis_breaker_state')).toBe('gauge');
    expect(types.get('idis_statistics_unflushed_cells')).toBe('gauge');
    expect(types.get('idis_process_resident_memory_bytes')).toBe('gauge');
    expect(types.get('idis_nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect([...types.keys()].every((name) => name.startsWith('idis_'))).toBe(true);
  });

  it('reflects resolutions and registrations recorded by the node', async () => {
    const before = (await scrape()).samples;
    node.app.get(ResolutionRecorder).observeResolution('88.118.8', 'l1', 0.00004);
    node.app.get(ResolutionRecorder).observeResolution('88.118.8', 'db', 0.0015);
    node.app.get(UsageCounter).recordRegistrations('88.118.8', 42, 'create');
    const after = (await scrape()).samples;
    const delta = (name: string) => (after.get(name) ?? Number.NaN) - (before.get(name) ?? Number.NaN);

    expect(delta('idis_resolution_duration_seconds_bucket{le="0.00005",tier="l1"}')).toBe(1);
    expect(delta('idis_resolution_duration_seconds_bucket{le="0.001",tier="db"}')).toBe(0);
    expect(delta('idis_resolution_duration_seconds_bucket{le="0.0025",tier="db"}')).toBe(1);
    expect(delta('idis_resolution_duration_seconds_count{tier="db"}')).toBe(1);
    expect(delta('idis_resolutions_total{outcome="l1"}')).toBe(1);
    expect(delta('idis_resolutions_total{outcome="db"}')).toBe(1);
    expect(delta('idis_registrations_total{operation="create"}')).toBe(42);
    expect(after.get('idis_cache_hit_ratio')).toBeGreaterThan(0);
    expect(after.get('idis_cache_hit_ratio')).toBeLessThan(1);
  });
});
