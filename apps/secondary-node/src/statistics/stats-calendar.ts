import { MINUTE_MS } from './usage-kinds';

export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/**
 * Days and months of one IANA time zone (STATS_TIME_ZONE), from Intl: the UTC offset at an
 * instant, the local midnight before it, the local date. Offsets are whole minutes here (every
 * zone in use since 1972), so minute rows never straddle a local day.
 */
export class StatsCalendar {
  private readonly format: Intl.DateTimeFormat;

  constructor(readonly timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
  }

  /** Local time minus UTC at `atMs`, in ms (+8 h for Asia/Shanghai). */
  offsetMs(atMs: number): number {
    const wholeMinute = Math.floor(atMs / MINUTE_MS) * MINUTE_MS;
    const parts = this.format.formatToParts(wholeMinute);
    const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
    return Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute')) - wholeMinute;
  }

  /** The instant of the local midnight that starts the day `atMs` falls in. */
  startOfDay(atMs: number): number {
    const localMidnight = Math.floor((atMs + this.offsetMs(atMs)) / DAY_MS) * DAY_MS;
    // The offset at midnight may differ from the one at `atMs` (a DST change that day).
    return localMidnight - this.offsetMs(localMidnight - this.offsetMs(atMs));
  }

  /** The local midnight starting the day after the one `atMs` falls in. */
  startOfNextDay(atMs: number): number {
    // 26 hours after the start is within the next day whatever the DST change.
    return this.startOfDay(this.startOfDay(atMs) + 26 * HOUR_MS);
  }

  /** YYYY-MM-DD of the local day `atMs` falls in. */
  dateOf(atMs: number): string {
    return new Date(atMs + this.offsetMs(atMs)).toISOString().slice(0, 10);
  }

  /** The instant a local date (YYYY-MM-DD) starts. */
  startOfDate(date: string): number {
    const utcNoon = Date.parse(`${date}T12:00:00Z`);
    return this.startOfDay(utcNoon - this.offsetMs(utcNoon));
  }

  /**
   * Whether every day in [fromMs, fromMs + days·24 h) starts exactly 24 h after the one before
   * (no offset change): then points of a fixed 24-hour step are the calendar days of the daily roll-up.
   */
  hasFixedDays(fromMs: number, days: number): boolean {
    const offset = this.offsetMs(fromMs);
    for (let day = 1; day <= days; day += 1) if (this.offsetMs(fromMs + day * DAY_MS) !== offset) return false;
    return true;
  }
}

/** Where a range of counts is summed from: the minute rows or one of the roll-ups. */
export type CountSource = 'minute' | 'hourly' | 'daily';

export interface SourceSegment {
  source: CountSource;
  fromMs: number;
  toMs: number;
  /** For 'daily': the local dates [fromDate, toDate) it covers. */
  fromDate?: string;
  toDate?: string;
}

/**
 * Splits [fromMs, toMs) (whole minutes) into the coarsest sources that sum it exactly: whole local
 * days from the daily roll-up, then whole UTC hours from the hourly one, then minutes. `coarsest`
 * is the coarsest a series may use without a roll-up row straddling two of its points: a 1h series
 * never reads days, a 1m series only minutes. `fixedDaySteps`: the series' points are fixed 24-hour
 * steps from fromMs, so days are used only while each is exactly 24 h long (no DST change).
 */
export function planSources(fromMs: number, toMs: number, coarsest: CountSource, calendar: StatsCalendar, fixedDaySteps: boolean): SourceSegment[] {
  const segments: SourceSegment[] = [];
  let start = fromMs;
  if (coarsest === 'daily' && calendar.startOfDay(start) === start) {
    let end: number;
    if (fixedDaySteps) {
      const days = Math.floor((toMs - start) / DAY_MS);
      end = days > 0 && calendar.hasFixedDays(start, days) ? start + days * DAY_MS : start;
    } else {
      end = calendar.startOfDay(toMs);
    }
    if (end > start) {
      segments.push({ source: 'daily', fromMs: start, toMs: end, fromDate: calendar.dateOf(start), toDate: calendar.dateOf(end) });
      start = end;
    }
  }
  if (coarsest !== 'minute' && start % HOUR_MS === 0) {
    const end = Math.floor(toMs / HOUR_MS) * HOUR_MS;
    if (end > start) {
      segments.push({ source: 'hourly', fromMs: start, toMs: end });
      start = end;
    }
  }
  if (start < toMs) segments.push({ source: 'minute', fromMs: start, toMs });
  return segments;
}
