import { DomainError } from '../errors/domain-errors';
import { querySingle, type QueryValue } from '../http/query-params';

/** The first month a report may cover: nothing was counted on any node before this. */
const FIRST_MONTH = '2000-01';

/** The calendar month (YYYY-MM) `at` falls in, in `timeZone`. */
export function monthIn(timeZone: string, at: Date): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).formatToParts(at);
  const year = parts.find((p) => p.type === 'year')?.value;
  const month = parts.find((p) => p.type === 'month')?.value;
  return `${year}-${month}`;
}

/**
 * `month=YYYY-MM`: required, a real month from 2000-01 up to the current month of the report's
 * time zone (the current month is allowed and covers the days so far; a later one has nothing to
 * report and is refused).
 */
export function readReportMonth(value: QueryValue, timeZone: string, now: Date): string {
  const raw = querySingle('month', value);
  if (raw === undefined || raw === '') throw monthProblem('query parameter month is required (YYYY-MM)', 'required');
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(raw)) throw monthProblem(`query parameter month must be a month as YYYY-MM, got "${raw.slice(0, 20)}"`, 'not YYYY-MM');
  if (raw < FIRST_MONTH) throw monthProblem(`query parameter month must be ${FIRST_MONTH} or later, got ${raw}`, `before ${FIRST_MONTH}`);
  const current = monthIn(timeZone, now);
  if (raw > current) throw monthProblem(`query parameter month ${raw} is in the future: the current month in ${timeZone} is ${current}`, 'in the future');
  return raw;
}

function monthProblem(detail: string, message: string): DomainError {
  return new DomainError('VALIDATION_FAILED', detail, [{ path: 'month', message }]);
}
