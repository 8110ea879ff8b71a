import { Injectable } from '@nestjs/common';
import type { BreakerState } from './circuit-breaker';
import { type ChannelState, InvalidationChannel } from './invalidation-channel';
import { L1Cache } from './l1-cache';
import { type RedisEpisodes, RedisTier } from './redis-tier';

export interface ResolutionHealthSnapshot {
  /** 'down' when the command connection is not ready or the breaker is not closed. */
  redis: 'up' | 'down' | 'disabled';
  breaker: BreakerState;
  /** 'cluster' with REDIS_CLUSTER_NODES or a redis+cluster:// REDIS_URL. */
  redisMode: 'standalone' | 'cluster' | 'disabled';
  /** Redis trouble since start (failed commands, breaker openings and when): an episode stays visible after it ended. */
  redisEpisodes: RedisEpisodes;
  /** 'down' while this process may be missing invalidations (L1 entries then live only the detached TTL). */
  invalidationChannel: ChannelState;
  l1: { enabled: boolean; entries: number; bytes: number; maxEntries: number; maxBytes: number };
  l2: { enabled: boolean };
  /** Invalidations Redis has not acknowledged yet, delivered when it answers again. */
  pendingInvalidations: number | 'all';
}

/** What the caches report to /metrics on every scrape. */
export interface ResolutionCacheStats {
  /** Entries in this process's L1 cache. */
  l1Entries: number;
  /** Approximate bytes held by the L1 cache (as its size bound counts them). */
  l1Bytes: number;
  /** 'disabled': no Redis configured or L2 turned off. */
  redisBreaker: BreakerState | 'disabled';
}

/** The resolution caches' state, for /health (degraded when Redis or the channel is down) and /metrics. */
@Injectable()
export class ResolutionHealth {
  constructor(
    private readonly l1: L1Cache,
    private readonly redis: RedisTier,
    private readonly channel: InvalidationChannel,
  ) {}

  snapshot(): ResolutionHealthSnapshot {
    return {
      redis: this.redis.status(),
      breaker: this.redis.breaker.state,
      redisMode: this.redis.configured ? (this.redis.clusterMode ? 'cluster' : 'standalone') : 'disabled',
      redisEpisodes: { ...this.redis.episodes },
      invalidationChannel: this.channel.state,
      l1: { enabled: this.l1.enabled, entries: this.l1.size, bytes: this.l1.bytes, maxEntries: this.l1.maxEntries, maxBytes: this.l1.maxBytes },
      l2: { enabled: this.redis.l2Enabled },
      pendingInvalidations: this.redis.pendingInvalidations,
    };
  }

  cacheStats(): ResolutionCacheStats {
    return {
      l1Entries: this.l1.size,
      l1Bytes: this.l1.bytes,
      redisBreaker: this.redis.l2Enabled ? this.redis.breaker.state : 'disabled',
    };
  }
}
