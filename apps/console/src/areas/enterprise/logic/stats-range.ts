/** The ranges of the statistics page. */
export type StatsRange = '24h' | '7d' | '30d';
export const STATS_RANGES: StatsRange[] = ['24h', '7d', '30d'];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The query of a range (GET /api/v1/stats/…?from&to&step): 24 hourly points, 7 × 24 hourly points,
 * or 30 daily points (UTC days, as the node rolls them up), each ending with the current one.
 */
export function seriesWindow(range: StatsRange, now: Date): { from: string; to: string; step: '1h' | '1d' } {
  const t = now.getTime();
  if (range === '30d') {
    const to = Math.floor(t / DAY) * DAY + DAY;
    return { from: new Date(to - 30 * DAY).toISOString(), to: new Date(to).toISOString(), step: '1d' };
  }
  const to = Math.floor(t / HOUR) * HOUR + HOUR;
  const hours = range === '24h' ? 24 : 7 * 24;
  return { from: new Date(to - hours * HOUR).toISOString(), to: new Date(to).toISOString(), step: '1h' };
}

/** An axis label of a point: "12-05 14:00" for hours, "12-05" for days (UTC, as the points are). */
export function pointLabel(iso: string, step: '1h' | '1d'): string {
  const text = new Date(iso).toISOString();
  return step === '1d' ? text.slice(5, 10) : `${text.slice(5, 10)} ${text.slice(11, 16)}`;
}

/** Two series on one time axis: resolutions and registrations per point, 0 where one has no point. */
export function mergeSeries(resolutions: Array<{ t: string; total: number }>, registrations: Array<{ t: string; total: number }>): { times: string[]; resolutions: number[]; registrations: number[] } {
  const times = [...new Set([...resolutions.map((p) => p.t), ...registrations.map((p) => p.t)])].sort();
  const res = new Map(resolutions.map((p) => [p.t, p.total]));
  const reg = new Map(registrations.map((p) => [p.t, p.total]));
  return { times, resolutions: times.map((t) => res.get(t) ?? 0), registrations: times.map((t) => reg.get(t) ?? 0) };
}
