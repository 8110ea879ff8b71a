import type { EnvReader } from '@idis/runtime';
import type { RedisClusterEndpoint, RedisEndpoint } from '@idis/runtime/redis-endpoint';
import type { HandleSessionLimits } from './handle-sessions';

/** Handle.Net REST authentication (registry/handle-auth): where the challenge–response sessions live, and their bounds. */
export interface HandleAuthConfig extends HandleSessionLimits {
  /** The same Redis as the cache (REDIS_URL or REDIS_CLUSTER_NODES, validated by its slice): sessions are shared by every replica through it. Unset: in memory. */
  redisUrl: string | undefined;
  redisCluster?: RedisClusterEndpoint;
  redisKeyPrefix: string;
}

export function readHandleAuthConfig(read: EnvReader, redis: RedisEndpoint): HandleAuthConfig {
  return {
    idleSeconds: read.integer('HANDLE_SESSION_IDLE_SECONDS', 1800, 60, 86400),
    maxAgeSeconds: read.integer('HANDLE_SESSION_MAX_AGE_SECONDS', 43200, 60, 7 * 86400),
    maxSessions: read.integer('HANDLE_SESSIONS_MAX', 10000, 1, 1_000_000),
    redisUrl: redis.redisUrl,
    ...(redis.redisCluster ? { redisCluster: redis.redisCluster } : {}),
    redisKeyPrefix: read.string('REDIS_KEY_PREFIX', 'idis:'),
  };
}

export const HANDLE_AUTH_CONFIG = Symbol('HANDLE_AUTH_CONFIG');
