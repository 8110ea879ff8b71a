/**
 * What the resolution caches report to /metrics. The resolution module implements
 * ResolutionCacheStatsSource and provides it under RESOLUTION_CACHE_STATS, e.g.
 * `{ provide: RESOLUTION_CACHE_STATS, useExisting: ResolutionCache }`; NodeMetrics finds it in
 * whichever module provides it, so neither module imports the other. Without one, the gauges
 * report an empty L1 and no Redis.
 */
export interface ResolutionCacheStats {
  /** Entries in this process's L1 cache. */
  l1Entries: number;
  /** Approximate bytes held by the L1 cache (as its size bound counts them). */
  l1Bytes: number;
  /** 'disabled': no Redis configured or L2 turned off. */
  redisBreaker: RedisBreakerState;
}

export type RedisBreakerState = 'closed' | 'half_open' | 'open' | 'disabled';

export interface ResolutionCacheStatsSource {
  /** Called once per gauge on every scrape: keep it cheap and synchronous. */
  cacheStats(): ResolutionCacheStats;
}

export const RESOLUTION_CACHE_STATS = Symbol('RESOLUTION_CACHE_STATS');

export const NO_RESOLUTION_CACHE_STATS: ResolutionCacheStatsSource = Object.freeze({
  cacheStats: (): ResolutionCacheStats => ({ l1Entries: 0, l1Bytes: 0, redisBreaker: 'disabled' }),
});

/** Value of the idis_redis_breaker_state gauge for each state. */
export const BREAKER_STATE_VALUE: Readonly<Record<RedisBreakerState, number>> = Object.freeze({ closed: 0, half_open: 1, open: 2, disabled: -1 });
