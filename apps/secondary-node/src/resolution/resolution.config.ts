import type { EnvReader } from '@idis/runtime';
import { type RedisClusterEndpoint, readRedisEndpoint } from '@idis/runtime/redis-endpoint';

/** Resolution caches: L1 in-process LRU, L2 Redis (only when REDIS_URL or REDIS_CLUSTER_NODES is set). */
export interface ResolutionConfig {
  /** A standalone Redis (redis:// or rediss://). */
  redisUrl: string | undefined;
  /** A Redis Cluster (REDIS_CLUSTER_NODES or a redis+cluster:// REDIS_URL); never set together with redisUrl. */
  redisCluster?: RedisClusterEndpoint;
  l1Enabled: boolean;
  l2Enabled: boolean;
  l1MaxEntries: number;
  l1MaxBytes: number;
  /** How long a "not found" is cached. */
  negativeTtlSeconds: number;
  /** L1 lifetime while the invalidation channel is down, so replicas cannot stay stale for long. */
  l1DetachedTtlSeconds: number;
  /** Namespace of every Redis key and channel of this node (tests isolate themselves with it). */
  redisKeyPrefix: string;
  redisCommandTimeoutMs: number;
  /** Consecutive Redis failures that open the breaker, and how long it stays open before a probe. */
  breakerFailureThreshold: number;
  breakerCooldownMs: number;
}

export function readResolutionConfig(read: EnvReader): ResolutionConfig {
  const { redisUrl, redisCluster } = readRedisEndpoint(read);
  return {
    redisUrl,
    ...(redisCluster ? { redisCluster } : {}),
    l1Enabled: read.boolean('CACHE_L1_ENABLED', true),
    l2Enabled: read.boolean('CACHE_L2_ENABLED', true),
    l1MaxEntries: read.integer('CACHE_L1_MAX_ENTRIES', 200_000, 1, 50_000_000),
    l1MaxBytes: read.integer('CACHE_L1_MAX_BYTES', 256 * 1024 * 1024, 1024, 64 * 1024 * 1024 * 1024),
    negativeTtlSeconds: read.integer('CACHE_NEGATIVE_TTL_SECONDS', 30, 0, 3600),
    l1DetachedTtlSeconds: read.integer('CACHE_L1_DETACHED_TTL_SECONDS', 5, 0, 3600),
    redisKeyPrefix: read.string('REDIS_KEY_PREFIX', 'idis:'),
    redisCommandTimeoutMs: read.integer('REDIS_COMMAND_TIMEOUT_MS', 250, 1, 60_000),
    breakerFailureThreshold: read.integer('REDIS_BREAKER_FAILURES', 3, 1, 1000),
    breakerCooldownMs: read.integer('REDIS_BREAKER_COOLDOWN_MS', 2000, 10, 600_000),
  };
}

export const RESOLUTION_CONFIG = Symbol('RESOLUTION_CONFIG');
