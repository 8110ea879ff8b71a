import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { DomainError } from '../errors/domain-errors';
import { parseSeriesQuery, type RawSeriesQuery, type SeriesQuery, type SeriesStep } from './series-query';
import { type CountSource, planSources, StatsCalendar } from './stats-calendar';
import { STATISTICS_CONFIG, type StatisticsConfig } from './statistics.config';
import { UsageCountRepository } from './usage-count.repository';
import { UsageCounter } from './usage-counter';
import { OTHER_PREFIXES, type UsageKind } from './usage-kinds';

/**
 * Whose counts a series sums: `node` every prefix_key including '-' (operators), `prefix` one
 * prefix (or '-'), `enterprise` every prefix of the calling enterprise.
 */
export type SeriesScope = 'node' | 'prefix' | 'enterprise';

export interface SeriesEnvelope {
  from: string;
  to: string;
  step: SeriesStep;
  /** The prefix asked for, as spelled; null when the series sums a whole scope. */
  prefix: string | null;
  scope: SeriesScope;
  /** The prefixes summed, for scope 'enterprise'. */
  prefixes?: string[];
}

export interface ResolutionCounts {
  l1: number;
  l2: number;
  db: number;
  notFound: number;
  error: number;
  total: number;
}

export interface RegistrationCounts {
  create: number;
  update: number;
  delete: number;
  total: number;
}

export interface ResolutionSeries extends SeriesEnvelope {
  series: Array<{ t: string } & ResolutionCounts>;
  totals: ResolutionCounts;
  /** (l1 + l2) / (l1 + l2 + db): share of found records answered from a cache; null without lookups. */
  cacheHitRatio: number | null;
}

export interface RegistrationSeries extends SeriesEnvelope {
  series: Array<{ t: string } & RegistrationCounts>;
  totals: RegistrationCounts;
}

/** Resolutions by the front door they came through (handleProtocol: the Handle native protocol). */
export interface DoorCounts {
  handleRest: number;
  snms: number;
  proxy: number;
  crossNode: number;
  handleProtocol: number;
  total: number;
}

export interface DoorSeries extends SeriesEnvelope {
  series: Array<{ t: string } & DoorCounts>;
  totals: DoorCounts;
}

const RESOLUTION_FIELD: Readonly<Record<string, keyof ResolutionCounts>> = { l1: 'l1', l2: 'l2', db: 'db', not_found: 'notFound', error: 'error' };
const REGISTRATION_FIELD: Readonly<Record<string, keyof RegistrationCounts>> = { create: 'create', update: 'update', delete: 'delete' };
const DOOR_FIELD: Readonly<Record<string, keyof DoorCounts>> = { handle_rest: 'handleRest', snms: 'snms', proxy: 'proxy', cross_node: 'crossNode', handle: 'handleProtocol' };
/** The coarsest source a series of each step may read without a row straddling two points. */
const COARSEST: Readonly<Record<SeriesStep, CountSource>> = { '1m': 'minute', '1h': 'hourly', '1d': 'daily' };

interface Selection {
  envelope: SeriesEnvelope;
  prefixKeys: string[] | undefined;
}

/**
 * Resolution and registration series for operators (any prefix, the whole node) and enterprises
 * (their own prefixes only). This replica's counts are flushed before answering; other replicas'
 * counts arrive within their flush interval (STATS_FLUSH_INTERVAL_MS, 5 s by default). Hours and
 * days are read from the roll-ups when the points allow (planSources), minutes otherwise.
 */
@Injectable()
export class StatisticsService {
  private readonly calendar: StatsCalendar;

  constructor(
    private readonly repository: UsageCountRepository,
    private readonly counter: UsageCounter,
    @Inject(STATISTICS_CONFIG) config: StatisticsConfig,
  ) {
    this.calendar = new StatsCalendar(config.timeZone);
  }

  async resolutions(caller: Principal, raw: RawSeriesQuery): Promise<ResolutionSeries> {
    const { query, selection, sums } = await this.load(caller, raw, 'resolution');
    const { series, totals } = accumulate(query, sums, (): ResolutionCounts => ({ l1: 0, l2: 0, db: 0, notFound: 0, error: 0, total: 0 }), RESOLUTION_FIELD);
    const lookups = totals.l1 + totals.l2 + totals.db;
    return { ...selection.envelope, series, totals, cacheHitRatio: lookups === 0 ? null : (totals.l1 + totals.l2) / lookups };
  }

  async registrations(caller: Principal, raw: RawSeriesQuery): Promise<RegistrationSeries> {
    const { query, selection, sums } = await this.load(caller, raw, 'registration');
    const { series, totals } = accumulate(query, sums, (): RegistrationCounts => ({ create: 0, update: 0, delete: 0, total: 0 }), REGISTRATION_FIELD);
    return { ...selection.envelope, series, totals };
  }

  async doors(caller: Principal, raw: RawSeriesQuery): Promise<DoorSeries> {
    const { query, selection, sums } = await this.load(caller, raw, 'door');
    const { series, totals } = accumulate(query, sums, (): DoorCounts => ({ handleRest: 0, snms: 0, proxy: 0, crossNode: 0, handleProtocol: 0, total: 0 }), DOOR_FIELD);
    return { ...selection.envelope, series, totals };
  }

  private async load(caller: Principal, raw: RawSeriesQuery, kind: UsageKind) {
    const query = parseSeriesQuery(raw, Date.now(), this.calendar);
    const selection = await this.select(caller, query);
    await this.flushOwnCounts();
    const segments = planSources(query.fromMs, query.toMs, COARSEST[query.step], this.calendar, true);
    const sums = await this.repository.sumByBucket({ kind, fromMs: query.fromMs, toMs: query.toMs, stepMs: query.stepMs, prefixKeys: selection.prefixKeys, segments });
    return { query, selection, sums };
  }

  private async select(caller: Principal, query: SeriesQuery): Promise<Selection> {
    const base = { from: new Date(query.fromMs).toISOString(), to: new Date(query.toMs).toISOString(), step: query.step };
    const asked = query.prefix;
    if (caller.role === 'operator') {
      if (asked === undefined) return { envelope: { ...base, prefix: null, scope: 'node' }, prefixKeys: undefined };
      if (asked.prefixKey !== OTHER_PREFIXES && !this.counter.countsSeparately(asked.prefixKey) && !(await this.repository.prefixExists(asked.prefixKey))) {
        throw new DomainError('PREFIX_NOT_FOUND', `prefix ${asked.prefix} is not served by this node`, [{ path: 'prefix', message: 'unknown on this node' }]);
      }
      return { envelope: { ...base, prefix: asked.prefix, scope: 'prefix' }, prefixKeys: [asked.prefixKey] };
    }
    const owned = caller.enterpriseId === null ? [] : await this.repository.prefixKeysOfEnterprise(caller.enterpriseId);
    if (asked === undefined) return { envelope: { ...base, prefix: null, scope: 'enterprise', prefixes: owned }, prefixKeys: owned };
    if (!owned.includes(asked.prefixKey)) {
      throw new DomainError(
        'PREFIX_NOT_OWNED',
        asked.prefixKey === OTHER_PREFIXES ? 'only operators see the counts of prefixes not homed on this node' : `prefix ${asked.prefix} does not belong to your enterprise`,
        [{ path: 'prefix', message: 'not one of your prefixes' }],
      );
    }
    return { envelope: { ...base, prefix: asked.prefix, scope: 'prefix' }, prefixKeys: [asked.prefixKey] };
  }

  private async flushOwnCounts(): Promise<void> {
    try {
      await this.counter.flush();
    } catch {
      // The counts stay queued for the next flush; this answer then lacks only this replica's
      // last few seconds, and the query below reports the database's own trouble if it has any.
    }
  }
}

function pointsOf<T>(query: SeriesQuery, zero: () => T): Array<{ t: string } & T> {
  return Array.from({ length: query.points }, (_, i) => ({ t: new Date(query.fromMs + i * query.stepMs).toISOString(), ...zero() }));
}

/** Adds each (bucket, outcome, count) sum to its point of the series and to the totals. */
function accumulate<C extends { total: number }>(
  query: Parameters<typeof pointsOf>[0],
  sums: ReadonlyArray<{ bucket: number; outcome: string; count: number }>,
  zero: () => C,
  fieldOf: Readonly<Record<string, keyof C | undefined>>,
): { series: Array<C & { t: string }>; totals: C } {
  const series = pointsOf(query, zero);
  const totals = zero();
  for (const sum of sums) {
    const field = fieldOf[sum.outcome];
    const point = series[sum.bucket];
    if (field === undefined || point === undefined) continue;
    (point[field] as number) += sum.count;
    point.total += sum.count;
    (totals[field] as number) += sum.count;
    totals.total += sum.count;
  }
  return { series, totals };
}
