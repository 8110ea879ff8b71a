import type { EnvReader } from '@idis/runtime';

/** Usage counting: how often the in-memory counts are added to usage_counts. */
export interface StatisticsConfig {
  flushIntervalMs: number;
}

export function readStatisticsConfig(read: EnvReader): StatisticsConfig {
  return { flushIntervalMs: read.integer('STATS_FLUSH_INTERVAL_MS', 5000, 50, 600_000) };
}

export const STATISTICS_CONFIG = Symbol('STATISTICS_CONFIG');
