import type { EnvReader } from '@idis/runtime';

/** Usage counting and what the statistics (and the operator reports) count in. */
export interface StatisticsConfig {
  /** STATS_FLUSH_INTERVAL_MS: how often the in-memory counts are added to usage_counts. */
  flushIntervalMs: number;
  /**
   * STATS_TIME_ZONE: the IANA time zone of the statistics' days and months (the daily roll-up,
   * "today" and "this month" of the overview, the top prefixes' month) and of the monthly report
   * (reports/). Default Asia/Shanghai: a Chinese secondary node reports in Beijing time, whatever
   * its servers run in. This is the only reader of the variable, so all of them are one calendar.
   */
  timeZone: string;
  /** STATS_ENTERPRISE_TARGET: the number of connected enterprises the overview measures against (default 100). */
  enterpriseTarget: number;
}

export const DEFAULT_STATS_TIME_ZONE = 'Asia/Shanghai';

export function readStatisticsConfig(read: EnvReader): StatisticsConfig {
  return {
    flushIntervalMs: read.integer('STATS_FLUSH_INTERVAL_MS', 5000, 50, 600_000),
    timeZone: readTimeZone(read),
    enterpriseTarget: read.integer('STATS_ENTERPRISE_TARGET', 100, 1, 1_000_000),
  };
}

function readTimeZone(read: EnvReader): string {
  const timeZone = read.string('STATS_TIME_ZONE', DEFAULT_STATS_TIME_ZONE);
  if (!isTimeZone(timeZone)) {
    read.problem(`STATS_TIME_ZONE must be an IANA time zone such as Asia/Shanghai or UTC, got "${timeZone.slice(0, 64)}"`);
    return DEFAULT_STATS_TIME_ZONE;
  }
  return timeZone;
}

/** Known to this Node's ICU (and spelt as PostgreSQL spells zone names: letters, digits, _ + - /). */
function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const STATISTICS_CONFIG = Symbol('STATISTICS_CONFIG');
