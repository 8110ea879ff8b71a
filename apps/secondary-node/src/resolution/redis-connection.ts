import type { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { clusterMastersReady, createRedisClient, isCluster, type RedisClient } from '@idis/runtime/redis-client';
import type { RedisEndpoint, RedisNodeAddress } from '@idis/runtime/redis-endpoint';

/** Reconnect back-off: 100 ms, 200 ms, … at most one attempt per second, forever. */
const MAX_RECONNECT_DELAY_MS = 1000;
const CONNECT_TIMEOUT_MS = 2000;

/**
 * One ioredis connection set up for "Redis trouble is not an outage": no offline queue (a command
 * while disconnected fails at once instead of waiting for a reconnect), a per-command timeout,
 * commands in flight when the connection drops fail at once instead of being resent, and
 * reconnection forever in the background. Connects only when `connect()` is called. With a Redis
 * Cluster the same holds for every node connection, and the cluster client fails a command at
 * once instead of retrying it through a failover (see createRedisClient).
 */
export function createRedisConnection(endpoint: RedisEndpoint, role: string, commandTimeoutMs: number, logger: Logger): RedisClient {
  const connection = createRedisClient(endpoint, {
    // No auto-pipelining: reads are already gathered into MGETs (RedisTier), and deferring every
    // write to the next tick on top of that cost a third more CPU per L2 hit and tripled p99.
    enableAutoPipelining: false,
    lazyConnect: true,
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: false,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    connectionName: `idis-${role}`,
    disableClientInfo: true,
  });
  // Log transitions, not every failed reconnect attempt.
  let wasReady = false;
  let lastError: string | undefined;
  connection.on('error', (error: Error) => {
    lastError = error.message;
  });
  connection.on('ready', () => {
    if (!wasReady) logger.log(`Redis ${role} connection ready`);
    wasReady = true;
  });
  connection.on('close', () => {
    if (wasReady) logger.warn(`Redis ${role} connection lost${lastError ? `: ${lastError}` : ''}; reconnecting in the background`);
    wasReady = false;
  });
  if (isCluster(connection)) {
    // A node going away (killed master) and coming (promoted replica, new node) is the cluster's
    // own business; one line each says what happened when the episode is read back.
    connection.on('node error', (error: Error, node: string) => {
      lastError = `${node}: ${error.message}`;
    });
    connection.on('-node', (node: Redis) => {
      // At start the pool swaps the seeds for the nodes CLUSTER SLOTS names: not worth a warning.
      if (wasReady) logger.warn(`Redis Cluster node ${node.options.host}:${node.options.port} dropped from the ${role} connection pool`);
    });
  }
  return connection;
}

/**
 * A connection to one node of a Redis Cluster that does NOT reconnect: when the node goes, the
 * connection ends ('end') and the caller moves to another node (the invalidation subscriber).
 */
export function createNodeConnection(node: RedisNodeAddress, endpoint: RedisEndpoint, role: string, commandTimeoutMs: number): Redis {
  const cluster = endpoint.redisCluster;
  const connection = new Redis({
    host: node.host,
    port: node.port,
    username: cluster?.username,
    password: cluster?.password,
    ...(cluster?.tls ? { tls: {} } : {}),
    lazyConnect: true,
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: false,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: () => null,
    connectionName: `idis-${role}`,
    disableClientInfo: true,
  });
  connection.on('error', () => undefined); // 'end' follows; the owner moves on
  return connection;
}

/**
 * Resolves when `connection` is ready or after `timeoutMs`, whichever comes first; never rejects.
 * A cluster is ready when its client is and every master's connection is too.
 */
export async function readyWithin(connection: RedisClient, timeoutMs: number): Promise<boolean> {
  const started = Date.now();
  const ready = await statusReadyWithin(connection, timeoutMs);
  if (!ready || !isCluster(connection)) return ready;
  return clusterMastersReady(connection, timeoutMs - (Date.now() - started));
}

function statusReadyWithin(connection: RedisClient, timeoutMs: number): Promise<boolean> {
  if (connection.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      connection.off('ready', onReady);
      resolve(ready);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    connection.on('ready', onReady);
  });
}

/** QUIT when connected (lets Redis close cleanly), otherwise just drop the socket and stop reconnecting. */
export async function closeRedisConnection(connection: RedisClient): Promise<void> {
  if (connection.status === 'ready') {
    try {
      await connection.quit();
      return;
    } catch {
      // Fall through: the connection is going away either way.
    }
  }
  connection.disconnect();
}
