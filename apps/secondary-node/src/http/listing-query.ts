import { DomainError } from '../errors/domain-errors';
import { queryEnum, queryInteger, querySingle, type QueryValue } from './query-params';

/**
 * The query string of a console table (GET …?q=&page=&pageSize=&format=csv): the paging
 * convention of GET /api/v1/enterprises/applications, read strictly. A misspelt parameter
 * (`?pagesize=50`) would silently give the default page; it is refused instead.
 */
export const PAGE_SIZE_MAX = 200;

export type ListingFormat = 'json' | 'csv';

export interface Paging {
  /** 1-based. */
  page: number;
  pageSize: number;
}

/** Refuses a parameter that is not in `allowed` with a 400 naming it and the expected ones. */
export function refuseUnknownParameters(query: Record<string, QueryValue> | undefined, allowed: readonly string[]): Record<string, QueryValue> {
  const given = query ?? {};
  const unknown = Object.keys(given).filter((name) => !allowed.includes(name));
  if (unknown.length > 0) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `unknown query parameter ${unknown.map((n) => JSON.stringify(n.slice(0, 40))).join(', ')}; ${allowed.length > 0 ? `expected ${allowed.join(', ')}` : 'this operation takes none'}`,
      unknown.map((name) => ({ path: name.slice(0, 40), message: 'unknown parameter' })),
    );
  }
  return given;
}

/** `page` (1 to 1,000,000, default 1) and `pageSize` (1 to 200, default `defaultSize`). */
export function readPaging(query: Record<string, QueryValue>, defaultSize = 20): Paging {
  return {
    page: queryInteger('page', query.page, { min: 1, max: 1_000_000, fallback: 1 }),
    pageSize: queryInteger('pageSize', query.pageSize, { min: 1, max: PAGE_SIZE_MAX, fallback: defaultSize }),
  };
}

/** `format=json|csv` (default json). */
export function readFormat(query: Record<string, QueryValue>): ListingFormat {
  return queryEnum('format', query.format, ['json', 'csv'] as const) ?? 'json';
}

/** A free-text filter: 1 to `max` characters, no control characters (PostgreSQL refuses NUL); empty means none. */
export function readText(name: string, value: QueryValue, max = 100): string | undefined {
  const raw = querySingle(name, value);
  if (raw === undefined || raw === '') return undefined;
  if ([...raw].length > max) throw new DomainError('VALIDATION_FAILED', `query parameter ${name} must be at most ${max} characters`, [{ path: name, message: `at most ${max} characters` }]);
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw new DomainError('VALIDATION_FAILED', `query parameter ${name} must not contain control characters`, [{ path: name, message: 'control character' }]);
  return raw;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * An instant: an ISO 8601 date (midnight UTC) or a date-time with an offset. An unencoded `+` of
 * the offset arrives as a space and is read as `+`.
 */
export function readTime(name: string, value: QueryValue): Date | undefined {
  const raw = querySingle(name, value);
  if (raw === undefined || raw === '') return undefined;
  const text = raw.replace(/ (\d{2}:\d{2})$/, '+$1');
  const date = ISO_TIME.test(text) && isCalendarDate(text.slice(0, 10)) ? new Date(text) : new Date(NaN);
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 1970 || year > 9999) {
    throw new DomainError('VALIDATION_FAILED', `query parameter ${name} must be an ISO 8601 date or date-time with an offset, got "${raw.slice(0, 40)}"`, [
      { path: name, message: 'not an ISO 8601 date or date-time with an offset' },
    ]);
  }
  return date;
}

/** Whether YYYY-MM-DD names a day that exists (Date would read 2025-02-30 as 2 March). */
function isCalendarDate(day: string): boolean {
  const [year, month, date] = day.split('-').map(Number);
  const probe = new Date(Date.UTC(year, month - 1, date));
  return probe.getUTCMonth() === month - 1 && probe.getUTCDate() === date;
}

/** `from` (inclusive) and `to` (exclusive); from must come before to. */
export function readTimeRange(query: Record<string, QueryValue>): { from?: Date; to?: Date } {
  const from = readTime('from', query.from);
  const to = readTime('to', query.to);
  if (from && to && from.getTime() >= to.getTime()) throw new DomainError('VALIDATION_FAILED', 'query parameter from must be before to', [{ path: 'from', message: 'not before to' }]);
  return { from, to };
}
