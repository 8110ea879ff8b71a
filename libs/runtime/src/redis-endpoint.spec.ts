import { EnvReader } from './env-reader';
import { describeCluster, MAX_CLUSTER_SEEDS, parseClusterNodes, parseClusterUrl, readRedisEndpoint } from './redis-endpoint';

function read(env: Record<string, string>) {
  const reader = new EnvReader(env);
  return { endpoint: readRedisEndpoint(reader), problems: reader.problems };
}

describe('Redis endpoint (REDIS_URL / REDIS_CLUSTER_NODES)', () => {
  it('keeps a standalone REDIS_URL exactly as given, with no cluster', () => {
    expect(read({ REDIS_URL: 'redis://127.0.0.1:6379/2' })).toEqual({ endpoint: { redisUrl: 'redis://127.0.0.1:6379/2', redisCluster: undefined }, problems: [] });
    expect(read({})).toEqual({ endpoint: { redisUrl: undefined, redisCluster: undefined }, problems: [] });
  });

  it('reads REDIS_CLUSTER_NODES as seeds (IPv6 in brackets, blanks around commas tolerated)', () => {
    expect(read({ REDIS_CLUSTER_NODES: 'redis-0.redis:6379, 10.0.0.2:7000,[::1]:7001' })).toEqual({
      endpoint: {
        redisUrl: undefined,
        redisCluster: {
          nodes: [
            { host: 'redis-0.redis', port: 6379 },
            { host: '10.0.0.2', port: 7000 },
            { host: '::1', port: 7001 },
          ],
          username: undefined,
          password: undefined,
          tls: false,
        },
      },
      problems: [],
    });
  });

  it('reads a redis+cluster:// URL with credentials and TLS (rediss+cluster://)', () => {
    expect(parseClusterUrl('rediss+cluster://app:s%40cret@r1:7000,r2:7001/')).toEqual({
      nodes: [
        { host: 'r1', port: 7000 },
        { host: 'r2', port: 7001 },
      ],
      username: 'app',
      password: 's@cret',
      tls: true,
    });
    expect(parseClusterUrl('redis+cluster://:pw@r1:7000')).toMatchObject({ username: undefined, password: 'pw', tls: false });
    expect(read({ REDIS_URL: 'redis+cluster://127.0.0.1:7000,127.0.0.1:7001' }).endpoint.redisCluster?.nodes).toHaveLength(2);
  });

  it.each([
    ['', '"" is not host:port'],
    ['127.0.0.1', '"127.0.0.1" is not host:port'],
    ['127.0.0.1:7000,', '"" is not host:port'],
    ['127.0.0.1:0', '"127.0.0.1:0" has a port outside 1-65535'],
    ['127.0.0.1:70000', '"127.0.0.1:70000" has a port outside 1-65535'],
    ['bad host:7000', '"bad host:7000" has no valid host'],
    ['::1:7000', '"::1:7000" has no valid host'],
    ['a:7000,A:7000', '"A:7000" is listed twice'],
  ])('refuses the seed list %j: %s', (list, message) => {
    expect(() => parseClusterNodes(list)).toThrow(message);
  });

  it('refuses more seeds than MAX_CLUSTER_SEEDS', () => {
    const list = Array.from({ length: MAX_CLUSTER_SEEDS + 1 }, (_, i) => `h:${7000 + i}`).join(',');
    expect(() => parseClusterNodes(list)).toThrow(`at most ${MAX_CLUSTER_SEEDS} seed nodes`);
  });

  it.each([
    [{ REDIS_CLUSTER_NODES: '127.0.0.1' }, 'REDIS_CLUSTER_NODES must be a comma-separated list of host:port: "127.0.0.1" is not host:port'],
    [{ REDIS_URL: 'redis+cluster://u:hunter2@h:7000/3' }, 'REDIS_URL (redis+cluster://host:port,host:port) names a database; Redis Cluster has database 0 only'],
    [{ REDIS_URL: 'redis+cluster://u:hunter2@h:7000?x=1' }, 'REDIS_URL (redis+cluster://host:port,host:port) takes no query string or fragment'],
    [{ REDIS_URL: 'redis+cluster://u:hunter2@h' }, 'REDIS_URL (redis+cluster://host:port,host:port) "h" is not host:port'],
    [
      { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: '127.0.0.1:7000' },
      'REDIS_CLUSTER_NODES names a Redis Cluster but REDIS_URL a standalone Redis: set one of them (or REDIS_URL=redis+cluster://host:port,…)',
    ],
    [
      { REDIS_URL: 'redis+cluster://127.0.0.1:7000', REDIS_CLUSTER_NODES: '127.0.0.1:7000' },
      'REDIS_CLUSTER_NODES and a redis+cluster:// REDIS_URL are both set: name the cluster once (the URL form also carries credentials)',
    ],
    [{ REDIS_CLUSTER_NODES: '127.0.0.1:7000', REDIS_KEY_PREFIX: 'idis:{a}:' }, 'REDIS_KEY_PREFIX must not contain { or } with a Redis Cluster: the node puts its own hash tags in keys'],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL must be a URL starting with redis:// or rediss://'],
  ])('refuses %j with one line naming the variable (and never the password)', (env, message) => {
    const { endpoint, problems } = read(env as Record<string, string>);
    expect(problems).toEqual([message]);
    expect(problems.join('\n')).not.toContain('hunter2');
    if (!('REDIS_KEY_PREFIX' in env)) expect(endpoint.redisCluster).toBeUndefined();
  });

  it('allows braces in REDIS_KEY_PREFIX with a standalone Redis (keys there stay as they were)', () => {
    expect(read({ REDIS_URL: 'redis://h:6379', REDIS_KEY_PREFIX: 'idis:{a}:' }).problems).toEqual([]);
  });

  it('describes the seeds without credentials', () => {
    expect(describeCluster(parseClusterUrl('redis+cluster://u:pw@h1:7000,[::1]:7001'))).toBe('h1:7000,[::1]:7001');
  });
});
