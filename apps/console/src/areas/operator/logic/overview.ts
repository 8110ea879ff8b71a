import type { DoorCounts, RegistrationSeries, ResolutionSeries, SeriesStep, StatisticsOverview, TopPrefixes } from './types';

/**
 * The overview page's figures, from the stats API's replies: its cards, the query of each chart
 * range, and the series, bars and door totals the charts draw. No DOM here (Jest runs it).
 */

export type RangeKey = '24h' | '7d' | '30d';
export const RANGE_KEYS: readonly RangeKey[] = ['24h', '7d', '30d'];

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** The step of each range and how many points it draws (the last one is the current minute, hour or day). */
export const RANGES: Readonly<Record<RangeKey, { step: SeriesStep; points: number }>> = {
  '24h': { step: '1m', points: 1440 },
  '7d': { step: '1h', points: 168 },
  '30d': { step: '1d', points: 30 },
};

/**
 * The series query of a range at `now`: minutes and hours start on a whole minute or hour `points`
 * back (so hours come from the roll-ups); days are left to the node, whose default is the 30 days
 * of its statistics time zone up to today (the reader's midnight may not be the node's).
 */
export function seriesQuery(range: RangeKey, now: Date): { step: SeriesStep; from?: string } {
  const { step, points } = RANGES[range];
  if (step === '1d') return { step };
  const unit = step === '1m' ? MINUTE_MS : HOUR_MS;
  const current = Math.floor(now.getTime() / unit) * unit;
  return { step, from: new Date(current - (points - 1) * unit).toISOString() };
}

export interface Card {
  /** The message key under operator.overview.cards, and the card's data-test name. */
  key: string;
  /** The figure as shown. */
  value: string;
  /** The raw figure (tests compare it with the API); null where the node has none yet. */
  raw: number | null;
  /** A second line: what the figure is of, or a part of it (message key and its values). */
  detail?: { key: string; values?: Record<string, string> };
}

const DASH = '—';

function count(n: number, locale: string): string {
  return new Intl.NumberFormat(locale).format(n);
}

function decimal(n: number, locale: string, digits: number): string {
  return new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n);
}

function percent(ratio: number | null | undefined, locale: string): string {
  return ratio === null || ratio === undefined ? DASH : new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(ratio);
}

/** The overview's cards, in the order the page shows them. */
export function overviewCards(o: StatisticsOverview, locale: string): Card[] {
  const shares = o.outcomeSharesToday;
  const p99Ms = o.latency.p99Seconds === null ? null : o.latency.p99Seconds * 1000;
  const connectedRatio = o.enterprises.target > 0 ? o.enterprises.connected / o.enterprises.target : null;
  return [
    { key: 'resolutionsToday', value: count(o.resolutions.today, locale), raw: o.resolutions.today, detail: { key: 'todayOf', values: { date: o.today.date } } },
    { key: 'registrationsToday', value: count(o.registrations.today, locale), raw: o.registrations.today, detail: { key: 'todayOf', values: { date: o.today.date } } },
    { key: 'resolutionsCumulative', value: count(o.resolutions.cumulative, locale), raw: o.resolutions.cumulative, detail: sinceDetail(o) },
    { key: 'registrationsCumulative', value: count(o.registrations.cumulative, locale), raw: o.registrations.cumulative, detail: sinceDetail(o) },
    { key: 'averageDaily', value: decimal(o.resolutions.averageDailyLast30Days, locale, 1), raw: o.resolutions.averageDailyLast30Days, detail: { key: 'averageDailyOf' } },
    { key: 'perSecond', value: decimal(o.resolutions.perSecond, locale, 2), raw: o.resolutions.perSecond, detail: { key: 'perSecondOf' } },
    { key: 'l1Share', value: percent(shares?.l1, locale), raw: shares?.l1 ?? null, detail: countDetail(o.outcomesToday.l1, locale) },
    { key: 'l2Share', value: percent(shares?.l2, locale), raw: shares?.l2 ?? null, detail: countDetail(o.outcomesToday.l2, locale) },
    { key: 'dbShare', value: percent(shares?.db, locale), raw: shares?.db ?? null, detail: countDetail(o.outcomesToday.db, locale) },
    { key: 'notFoundShare', value: percent(shares?.notFound, locale), raw: shares?.notFound ?? null, detail: countDetail(o.outcomesToday.notFound, locale) },
    { key: 'cacheHitRatio', value: percent(o.cacheHitRatioToday, locale), raw: o.cacheHitRatioToday, detail: { key: 'cacheHitRatioOf' } },
    {
      key: 'p99',
      value: p99Ms === null ? DASH : `${decimal(p99Ms, locale, p99Ms < 10 ? 2 : 1)} ms`,
      raw: p99Ms,
      detail: { key: 'p99Of', values: { n: count(o.latency.observations, locale) } },
    },
    {
      key: 'enterprises',
      value: `${count(o.enterprises.connected, locale)} / ${count(o.enterprises.target, locale)}`,
      raw: o.enterprises.connected,
      detail: { key: 'enterprisesOf', values: { percent: percent(connectedRatio, locale) } },
    },
  ];
}

function sinceDetail(o: StatisticsOverview): Card['detail'] {
  return o.countingSince === null ? { key: 'nothingYet' } : { key: 'since', values: { date: o.countingSince } };
}

function countDetail(n: number, locale: string): Card['detail'] {
  return { key: 'countToday', values: { n: count(n, locale) } };
}

/** Both trend lines on one time axis, labelled in the node's statistics time zone. */
export interface TrendChart {
  labels: string[];
  resolutions: number[];
  registrations: number[];
  /** Sums of the range (the chart's accessible label says them). */
  totals: { resolutions: number; registrations: number };
}

export function trendChart(resolutions: ResolutionSeries, registrations: RegistrationSeries, timeZone: string, locale: string): TrendChart {
  const label = axisLabel(resolutions.step, timeZone, locale);
  const registered = new Map(registrations.series.map((point) => [point.t, point.create]));
  return {
    labels: resolutions.series.map((point) => label(point.t)),
    resolutions: resolutions.series.map((point) => point.total),
    registrations: resolutions.series.map((point) => registered.get(point.t) ?? 0),
    totals: { resolutions: resolutions.totals.total, registrations: registrations.totals.create },
  };
}

/** Minutes as 14:05, hours as 11-28 14:00, days as 11-28. */
export function axisLabel(step: SeriesStep, timeZone: string, locale: string): (iso: string) => string {
  const options: Intl.DateTimeFormatOptions =
    step === '1m' ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } : step === '1h' ? { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } : { month: '2-digit', day: '2-digit' };
  const format = new Intl.DateTimeFormat(locale, { ...options, timeZone });
  return (iso) => format.format(new Date(iso));
}

/** A horizontal bar chart's rows, the largest on top (ECharts draws the first category at the bottom). */
export interface Bars {
  names: string[];
  values: number[];
}

/** The month's top prefixes, "prefix · enterprise" each. */
export function topPrefixBars(top: TopPrefixes): Bars {
  const rows = [...top.items].sort((a, b) => a.rank - b.rank).reverse();
  return { names: rows.map((row) => (row.enterpriseName ? `${row.prefix} · ${row.enterpriseName}` : row.prefix)), values: rows.map((row) => row.resolutions) };
}

export const DOORS = ['handleRest', 'snms', 'proxy', 'crossNode', 'handleProtocol'] as const;
export type Door = (typeof DOORS)[number];

/** Resolutions of the range per front door, in DOORS order (names are message keys' last parts). */
export function doorBars(totals: DoorCounts, nameOf: (door: Door) => string): Bars {
  const doors = [...DOORS].reverse();
  return { names: doors.map(nameOf), values: doors.map((door) => totals[door]) };
}
