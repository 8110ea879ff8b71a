import { ConfigError } from '@idis/runtime';
import { loadAppConfig } from './app-config';

const CLUSTER = { nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }], username: undefined, password: undefined, tls: false };

describe('loadAppConfig with a Redis Cluster', () => {
  it.each([
    ['REDIS_CLUSTER_NODES', { REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7001' }],
    ['a redis+cluster:// REDIS_URL', { REDIS_URL: 'redis+cluster://10.0.0.1:7000,10.0.0.2:7001' }],
  ])('gives the cluster to every slice that uses Redis (%s), and no standalone URL', (_, env) => {
    const config = loadAppConfig(env);
    for (const slice of [config.cache, config.limits, config.handleAuth]) {
      expect(slice.redisCluster).toEqual(CLUSTER);
      expect(slice.redisUrl).toBeUndefined();
    }
  });

  it('keeps the standalone slices free of any cluster', () => {
    const config = loadAppConfig({ REDIS_URL: 'redis://127.0.0.1:6379' });
    for (const slice of [config.cache, config.limits, config.handleAuth]) {
      expect(slice.redisUrl).toBe('redis://127.0.0.1:6379');
      expect('redisCluster' in slice).toBe(false);
    }
  });

  it('stops start-up with one line per problem, once (not once per slice)', () => {
    let problems: string[] = [];
    try {
      loadAppConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000,nonsense' });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      problems = (error as ConfigError).problems;
    }
    expect(problems).toEqual(['REDIS_CLUSTER_NODES must be a comma-separated list of host:port: "nonsense" is not host:port']);
  });
});
