import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { QueryValue } from '../http/query-params';
import { parseTopPrefixesQuery } from './overview-query';
import { latencyQuantile, latencySince, ResolutionLatency, type TierLatency } from './resolution-latency';
import { StatsCalendar } from './stats-calendar';
import { STATISTICS_CONFIG, type StatisticsConfig } from './statistics.config';
import { type PrefixRanking, UsageCountRepository } from './usage-count.repository';
import { UsageCounter } from './usage-counter';
import { MINUTE_MS } from './usage-kinds';

interface OutcomeCounts {
  l1: number;
  l2: number;
  db: number;
  notFound: number;
  error: number;
  total: number;
}

/** GET /api/v1/stats/overview (field names are what the console reads). */
export interface StatisticsOverview {
  timeZone: string;
  generatedAt: string;
  /** The local day "today" counts: its date and its instants [from, to). */
  today: { date: string; from: string; to: string };
  resolutions: {
    today: number;
    cumulative: number;
    /** Resolutions of the 30 whole local days before today, divided by 30. */
    averageDailyLast30Days: number;
    /** Resolutions in the last whole minute (`liveWindow`) divided by 60, all replicas that flushed it. */
    perSecond: number;
    liveWindow: { from: string; to: string };
  };
  /** Identifiers created (registrations today, and since counting began). */
  registrations: { today: number; cumulative: number };
  /** Today's resolutions by outcome, and each outcome's share of them (null with none). */
  outcomesToday: OutcomeCounts;
  outcomeSharesToday: { l1: number; l2: number; db: number; notFound: number; error: number } | null;
  /** (l1 + l2) / (l1 + l2 + db) today; null without lookups. */
  cacheHitRatioToday: number | null;
  /**
   * From this process's latency histogram over [from, to): the last few minutes (LATENCY_WINDOW_MS)
   * once the overview has been asked that long, since the process started before; p99 null without observations.
   */
  latency: { p99Seconds: number | null; observations: number; from: string; to: string };
  /** Active enterprises against STATS_ENTERPRISE_TARGET. */
  enterprises: { connected: number; target: number };
  /** The first local date with any count (cumulative figures start there); null when nothing was counted. */
  countingSince: string | null;
}

export interface TopPrefixes {
  month: string;
  timeZone: string;
  /** The local dates [from, to) of the month. */
  from: string;
  to: string;
  limit: number;
  items: Array<{ rank: number } & PrefixRanking>;
}

/** The p99 covers about the last five minutes: snapshots of the histogram, at most one a minute, are kept that long. */
export const LATENCY_WINDOW_MS = 5 * 60_000;
const LATENCY_SNAPSHOT_EVERY_MS = 60_000;

const OUTCOME_FIELD: Readonly<Record<string, keyof Omit<OutcomeCounts, 'total'>>> = { l1: 'l1', l2: 'l2', db: 'db', not_found: 'notFound', error: 'error' };

/**
 * The operator overview and the month's top prefixes: read from the daily roll-up (its rows are
 * updated by every flush, so today's row is today so far), the minute rows (the live rate) and
 * this process's latency histogram. This replica's counts are flushed first.
 */
@Injectable()
export class OverviewService implements OnModuleInit {
  private readonly logger = new Logger('Statistics');
  private readonly calendar: StatsCalendar;
  /** Snapshots of the latency histogram, oldest first, none older than LATENCY_WINDOW_MS. */
  private readonly latencyHistory: Array<{ atMs: number; tiers: TierLatency[] }> = [];

  constructor(
    private readonly repository: UsageCountRepository,
    private readonly counter: UsageCounter,
    private readonly latency: ResolutionLatency,
    @Inject(STATISTICS_CONFIG) private readonly config: StatisticsConfig,
  ) {
    this.calendar = new StatsCalendar(config.timeZone);
  }

  /** The daily roll-up must hold days of STATS_TIME_ZONE: rebuilt once when the variable changed. */
  async onModuleInit(): Promise<void> {
    if (await this.repository.ensureRollupTimeZone(this.config.timeZone)) {
      this.logger.warn(`usage roll-ups rebuilt for STATS_TIME_ZONE=${this.config.timeZone}`);
    }
  }

  async overview(nowMs = Date.now()): Promise<StatisticsOverview> {
    await this.flushOwnCounts();
    const todayFrom = this.calendar.startOfDay(nowMs);
    const todayDate = this.calendar.dateOf(nowMs);
    const liveTo = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
    const [{ totals, firstDay }, lastMinute, connected] = await Promise.all([
      this.repository.dailyTotals(todayDate),
      this.repository.resolutionsInMinute(new Date(liveTo - MINUTE_MS)),
      this.repository.activeEnterprises(),
    ]);

    const outcomesToday: OutcomeCounts = { l1: 0, l2: 0, db: 0, notFound: 0, error: 0, total: 0 };
    let cumulative = 0;
    let last30Days = 0;
    const registrations = { today: 0, cumulative: 0 };
    for (const row of totals) {
      if (row.kind === 'resolution') {
        const field = OUTCOME_FIELD[row.outcome];
        if (field === undefined) continue;
        outcomesToday[field] += row.today;
        outcomesToday.total += row.today;
        cumulative += row.cumulative;
        last30Days += row.last30Days;
      } else if (row.outcome === 'create') {
        registrations.today += row.today;
        registrations.cumulative += row.cumulative;
      }
    }
    const { total } = outcomesToday;
    const lookups = outcomesToday.l1 + outcomesToday.l2 + outcomesToday.db;
    const latency = this.recentLatency(nowMs);
    return {
      timeZone: this.config.timeZone,
      generatedAt: new Date(nowMs).toISOString(),
      today: { date: todayDate, from: new Date(todayFrom).toISOString(), to: new Date(this.calendar.startOfNextDay(nowMs)).toISOString() },
      resolutions: {
        today: total,
        cumulative,
        averageDailyLast30Days: last30Days / 30,
        perSecond: lastMinute / 60,
        liveWindow: { from: new Date(liveTo - MINUTE_MS).toISOString(), to: new Date(liveTo).toISOString() },
      },
      registrations,
      outcomesToday,
      outcomeSharesToday:
        total === 0
          ? null
          : { l1: outcomesToday.l1 / total, l2: outcomesToday.l2 / total, db: outcomesToday.db / total, notFound: outcomesToday.notFound / total, error: outcomesToday.error / total },
      cacheHitRatioToday: lookups === 0 ? null : (outcomesToday.l1 + outcomesToday.l2) / lookups,
      latency,
      enterprises: { connected, target: this.config.enterpriseTarget },
      countingSince: firstDay,
    };
  }

  async topPrefixes(raw: { month?: QueryValue; limit?: QueryValue }, nowMs = Date.now()): Promise<TopPrefixes> {
    const query = parseTopPrefixesQuery(raw, this.calendar.dateOf(nowMs).slice(0, 7));
    await this.flushOwnCounts();
    const ranked = await this.repository.topPrefixes(query.fromDate, query.toDate, query.limit);
    return {
      month: query.month,
      timeZone: this.config.timeZone,
      from: new Date(this.calendar.startOfDate(query.fromDate)).toISOString(),
      to: new Date(this.calendar.startOfDate(query.toDate)).toISOString(),
      limit: query.limit,
      items: ranked.map((item, i) => ({ rank: i + 1, ...item })),
    };
  }

  /** The p99 of the resolutions since the oldest snapshot kept (or since the process started). */
  private recentLatency(nowMs: number): StatisticsOverview['latency'] {
    const current = this.latency.snapshot();
    while (this.latencyHistory.length > 0 && this.latencyHistory[0].atMs < nowMs - LATENCY_WINDOW_MS) this.latencyHistory.shift();
    const oldest = this.latencyHistory[0];
    const window = oldest === undefined ? current : latencySince(current, oldest.tiers);
    const newest = this.latencyHistory[this.latencyHistory.length - 1];
    if (newest === undefined || nowMs - newest.atMs >= LATENCY_SNAPSHOT_EVERY_MS) this.latencyHistory.push({ atMs: nowMs, tiers: current });
    return {
      p99Seconds: latencyQuantile(window, 0.99),
      observations: window.reduce((sum, tier) => sum + tier.count, 0),
      from: oldest === undefined ? this.latency.since.toISOString() : new Date(oldest.atMs).toISOString(),
      to: new Date(nowMs).toISOString(),
    };
  }

  private async flushOwnCounts(): Promise<void> {
    try {
      await this.counter.flush();
    } catch {
      // Kept for the next flush; the answer lacks only this replica's last seconds.
    }
  }
}
