import { parsePrefix } from '@idis/identifier';
import { DomainError, type FieldProblem } from '../errors/domain-errors';
import { querySingle, type QueryValue } from '../http/query-params';
import { DAY_MS, HOUR_MS, type StatsCalendar } from './stats-calendar';
import { MINUTE_MS, OTHER_PREFIXES } from './usage-kinds';

export type SeriesStep = '1m' | '1h' | '1d';
export const SERIES_STEPS: readonly SeriesStep[] = ['1m', '1h', '1d'];
export const STEP_MS: Readonly<Record<SeriesStep, number>> = Object.freeze({ '1m': MINUTE_MS, '1h': 60 * MINUTE_MS, '1d': 1440 * MINUTE_MS });
/** Points of a series when `from` is not given: the last hour, day or 30 days. */
export const DEFAULT_POINTS: Readonly<Record<SeriesStep, number>> = Object.freeze({ '1m': 60, '1h': 24, '1d': 30 });
/** Largest series: 25 hours at 1m, 62 days at 1h, about 4 years at 1d. */
export const MAX_POINTS = 1500;

export interface RawSeriesQuery {
  from?: QueryValue;
  to?: QueryValue;
  step?: QueryValue;
  prefix?: QueryValue;
}

/**
 * A validated series request. Times are whole minutes (from rounded down, to rounded up); point i
 * covers [from + i·step, from + (i+1)·step), the last one clipped to `to`. Points start at `from`,
 * not at UTC midnight, so a caller gets days of its own time zone by choosing `from`
 * (e.g. 2026-11-01T00:00:00+08:00 for Beijing days).
 */
export interface SeriesQuery {
  fromMs: number;
  toMs: number;
  step: SeriesStep;
  stepMs: number;
  points: number;
  /**
   * The prefix as given and its lookup key; prefixKey '-' is the bucket of everything not homed
   * on this node. undefined: every prefix the caller may see.
   */
  prefix?: { prefix: string; prefixKey: string };
}

/**
 * Reads ?from=&to=&step=&prefix=, reporting every bad parameter at once. With a `calendar`, a
 * missing `from` starts on a whole hour (1h) or a local midnight of the calendar (1d), so the
 * default series are read from the roll-ups and their last point is the current hour or day.
 */
export function parseSeriesQuery(raw: RawSeriesQuery, nowMs: number, calendar?: StatsCalendar): SeriesQuery {
  const problems: FieldProblem[] = [];
  const read = (name: keyof RawSeriesQuery): string | undefined => {
    try {
      const value = querySingle(name, raw[name]);
      return value === '' ? undefined : value;
    } catch (error) {
      problems.push({ path: name, message: (error as Error).message });
      return undefined;
    }
  };

  const stepText = read('step');
  let step: SeriesStep = '1m';
  if (stepText !== undefined) {
    if ((SERIES_STEPS as readonly string[]).includes(stepText)) step = stepText as SeriesStep;
    else problems.push({ path: 'step', message: `must be one of ${SERIES_STEPS.join(', ')}, got ${JSON.stringify(stepText)}` });
  }
  const stepMs = STEP_MS[step];

  const fromText = read('from');
  const toText = read('to');
  const fromParsed = fromText === undefined ? undefined : parseTimestamp('from', fromText, problems);
  const toParsed = toText === undefined ? undefined : parseTimestamp('to', toText, problems);

  let prefix: SeriesQuery['prefix'];
  const prefixText = read('prefix');
  if (prefixText === OTHER_PREFIXES) {
    prefix = { prefix: OTHER_PREFIXES, prefixKey: OTHER_PREFIXES };
  } else if (prefixText !== undefined) {
    try {
      const parsed = parsePrefix(prefixText);
      prefix = { prefix: parsed.prefix, prefixKey: parsed.prefixKey };
    } catch (error) {
      problems.push({ path: 'prefix', message: (error as Error).message });
    }
  }

  // Without `to`, the series ends after the current (partial) minute.
  const toMs = toParsed !== undefined ? ceilToMinute(toParsed) : floorToMinute(nowMs) + MINUTE_MS;
  const fromMs = fromParsed !== undefined ? floorToMinute(fromParsed) : defaultFrom(toMs, step, calendar);
  const timesValid = (fromText === undefined || fromParsed !== undefined) && (toText === undefined || toParsed !== undefined);
  let points = 0;
  if (timesValid) {
    if (fromMs >= toMs) {
      problems.push({ path: 'from', message: `must be before to (${new Date(toMs).toISOString()}${toText === undefined ? ', now' : ''})` });
    } else {
      points = Math.ceil((toMs - fromMs) / stepMs);
      if (points > MAX_POINTS) {
        problems.push({
          path: 'from',
          message: `from ${new Date(fromMs).toISOString()} to ${new Date(toMs).toISOString()} is ${points} points of ${step}; at most ${MAX_POINTS} (${describeSpan(MAX_POINTS * stepMs)}) per request`,
        });
      }
    }
  }

  if (problems.length > 0) {
    throw new DomainError('VALIDATION_FAILED', problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems);
  }
  return { fromMs, toMs, step, stepMs, points, prefix };
}

/**
 * ISO 8601 / RFC 3339: a date (UTC midnight) or a date-time with an offset (Z or ±hh:mm). Local
 * times without an offset are refused: their meaning would depend on the server's time zone. A
 * space where the offset's '+' belongs is read as '+': an unencoded '+' in a query string arrives
 * as a space.
 */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+ -]\d{2}:?\d{2}))?$/i;

export function parseTimestamp(name: string, text: string, problems: FieldProblem[]): number | undefined {
  const match = ISO_8601.exec(text);
  const bad = (why: string) => {
    problems.push({ path: name, message: `${why}, got ${JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text)}` });
    return undefined;
  };
  if (!match) return bad('must be an ISO 8601 date (2026-11-01) or date-time with offset (2026-11-01T08:00:00Z, 2026-11-01T16:00:00+08:00)');
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', offset = 'Z'] = match;
  if (match[4] !== undefined && match[8] === undefined) return bad('must have an offset (Z or ±hh:mm)');
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (year < 1970) return bad('must not be before 1970');
  if (month < 1 || month > 12) return bad(`has no month ${mo}`);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return bad(`has no day ${d} in ${y}-${mo}`);
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return bad('has an invalid time of day');
  let offsetMinutes = 0;
  if (offset.toUpperCase() !== 'Z') {
    const digits = offset.slice(1).replace(':', '');
    const offsetHours = Number(digits.slice(0, 2));
    const offsetMins = Number(digits.slice(2));
    if (offsetHours > 23 || offsetMins > 59) return bad('has an invalid offset');
    offsetMinutes = (offset[0] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const millis = Number(fraction.padEnd(3, '0').slice(0, 3));
  return Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(s), millis) - offsetMinutes * MINUTE_MS;
}

/** DEFAULT_POINTS points before `to`, the last one holding `to`; aligned to hours or local days when a calendar is given. */
function defaultFrom(toMs: number, step: SeriesStep, calendar: StatsCalendar | undefined): number {
  const points = DEFAULT_POINTS[step];
  if (calendar === undefined || step === '1m') return toMs - points * STEP_MS[step];
  if (step === '1h') return Math.floor((toMs - 1) / HOUR_MS) * HOUR_MS - (points - 1) * HOUR_MS;
  return calendar.startOfDay(calendar.startOfDay(toMs - 1) - (points - 1) * DAY_MS + 12 * HOUR_MS);
}

function floorToMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

function ceilToMinute(ms: number): number {
  return Math.ceil(ms / MINUTE_MS) * MINUTE_MS;
}

function describeSpan(ms: number): string {
  const hours = ms / (60 * MINUTE_MS);
  return hours < 72 ? `${hours} hours` : `${Number((hours / 24).toFixed(1))} days`;
}
