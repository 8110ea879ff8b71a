import Redis, { Cluster, type RedisOptions } from 'ioredis';
import calculateSlot from 'cluster-key-slot';
import type { RedisEndpoint, RedisNodeAddress } from './redis-endpoint';

/** A connection to the node's Redis: one server, or a Redis Cluster (ioredis routes each command to its slot's master). */
export type RedisClient = Redis | Cluster;

/** How often the cluster's slot map is read again: a promoted replica is learnt within this (MOVED replies also trigger it). */
const SLOTS_REFRESH_MS = 1000;
const CLUSTER_RECONNECT_MAX_MS = 1000;

/**
 * A client for `endpoint` with the per-connection `options` (timeouts, offline queue, retry
 * strategy). Standalone: `new Redis(url, options)`, exactly as before. Cluster: an ioredis Cluster
 * whose node connections take `options`, and whose own retries of a failed command (after a
 * failover, while the cluster is down) are switched off when the offline queue is: the callers
 * (the L2 breaker, the limiter's in-process fallback) handle a failure at once instead of waiting
 * up to 16 redirections × 100 ms; the slot map is refreshed every second and on every MOVED.
 */
export function createRedisClient(endpoint: RedisEndpoint, options: RedisOptions): RedisClient {
  const cluster = endpoint.redisCluster;
  if (!cluster) {
    if (endpoint.redisUrl === undefined) throw new Error('no Redis configured');
    return new Redis(endpoint.redisUrl, options);
  }
  const { lazyConnect, enableOfflineQueue, enableAutoPipelining, retryStrategy, ...perNode } = options;
  const failFast = enableOfflineQueue === false;
  const client = new Cluster(
    cluster.nodes.map(({ host, port }) => ({ host, port })),
    {
      lazyConnect,
      enableOfflineQueue,
      enableAutoPipelining,
      clusterRetryStrategy: retryStrategy ?? ((attempt) => Math.min(attempt * 100, CLUSTER_RECONNECT_MAX_MS)),
      retryDelayOnFailover: failFast ? 0 : 100,
      retryDelayOnClusterDown: failFast ? 0 : 100,
      retryDelayOnTryAgain: failFast ? 0 : 100,
      slotsRefreshInterval: SLOTS_REFRESH_MS,
      slotsRefreshTimeout: Math.min(1000, options.connectTimeout ?? 1000),
      redisOptions: {
        ...perNode,
        username: cluster.username,
        password: cluster.password,
        ...(cluster.tls ? { tls: {} } : {}),
      },
    },
  );
  // The pool creates node connections lazily, on their first command; while one is being made the
  // cluster client fails every other command sent to it (no offline queue), a burst that would
  // reopen the breaker right after a replica's promotion. So once the cluster is ready, every node
  // the pool knows is connected at once, replicas included (a promoted replica is then already
  // connected), and so is every node it learns later. Not before: the client's own ready check
  // must not meet half-made connections.
  const connectIdle = (node: Redis) => {
    if (client.status === 'ready' && node.status === 'wait') node.connect().catch(() => undefined);
  };
  client.on('ready', () => client.nodes('all').forEach(connectIdle));
  client.on('+node', connectIdle);
  return client;
}

/**
 * Resolves when `client` is ready or after `timeoutMs`, whichever comes first; never rejects. Use
 * it rather than awaiting `Cluster#connect()`: that promise never settles when the cluster's ready
 * check fails (ioredis 5.11 reconnects without rejecting it), e.g. while the cluster is down.
 */
export function clientReadyWithin(client: RedisClient, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ready);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.on('ready', onReady);
  });
}

/** Whether every master connection of `cluster` is ready within `timeoutMs` (polled; never rejects). */
export async function clusterMastersReady(cluster: Cluster, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const masters = cluster.nodes('master');
    if (masters.length > 0 && masters.every((node) => node.status === 'ready')) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/** The slot (0–16383) of a key, as Redis Cluster computes it (hash tags included). */
export function keySlot(key: string): number {
  return calculateSlot(key);
}

/** Keys grouped by slot, each group in the order given: one multi-key command per group. */
export function groupBySlot(keys: readonly string[]): string[][] {
  const groups = new Map<number, string[]>();
  for (const key of keys) {
    const slot = calculateSlot(key);
    const group = groups.get(slot);
    if (group) group.push(key);
    else groups.set(slot, [key]);
  }
  return [...groups.values()];
}

/** The nodes a cluster client currently knows (masters and replicas), for a connection that must move when its node dies. */
export function knownClusterNodes(cluster: Cluster): RedisNodeAddress[] {
  return cluster.nodes('all').map((node) => ({ host: node.options.host as string, port: node.options.port as number }));
}

/** Whether the slot has a replica in the client's current slot map (a WAIT for one replica can then succeed). */
export function slotHasReplica(cluster: Cluster, slot: number): boolean {
  return (cluster.slots[slot]?.length ?? 0) > 1;
}
