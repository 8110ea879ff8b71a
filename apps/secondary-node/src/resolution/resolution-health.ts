import { Injectable } from '@nestjs/common';
import type { ResolutionCacheStats, ResolutionCacheStatsSource } from '../metrics/resolution-cache-stats';
import type { BreakerState } from './circuit-breaker';
import { type ChannelState, InvalidationChannel } from './invalidation-channel';
import { L1Cache } from './l1-cache';
import { RedisTier } from './redis-tier';

export interface ResolutionHealthSnapshot {
  /** 'down' when the command connection is not ready or the breaker is not closed. */
  redis: 'up' | 'down' | 'disabled';
  breaker: BreakerState;
  /** 'down' while this process may be missing invalidations (L1 entries then live only the detached TTL). */
  invalidationChannel: ChannelState;
  l1: { enabled: boolean; entries: number; bytes: number; maxEntries: number; maxBytes: number };
  l2: { enabled: boolean };
  /** Invalidations Redis has not acknowledged yet, delivered when it answers again. */
  pendingInvalidations: number | 'all';
}

/**
 * The resolution caches' state, for /health (degraded when Redis or the channel is down) and
 * /metrics (provided as RESOLUTION_CACHE_STATS).
 */
@Injectable()
export class ResolutionHealth implements ResolutionCacheStatsSource {
  constructor(
    private readonly l1: L1Cache,
    private readonly redis: RedisTier,
    private readonly channel: InvalidationChannel,
  ) {}

  snapshot(): ResolutionHealthSnapshot {
    return {
      redis: this.redis.status(),
      breaker: this.redis.breaker.state,
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
