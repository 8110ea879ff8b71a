import { DomainError, type FieldProblem } from '../errors/domain-errors';
import { querySingle, type QueryValue } from '../http/query-params';

/** The first month a ranking may cover: nothing was counted on any node before it. */
const FIRST_MONTH = '2000-01';
export const DEFAULT_TOP_LIMIT = 10;
export const MAX_TOP_LIMIT = 100;

export interface TopPrefixesQuery {
  /** YYYY-MM, a calendar month of STATS_TIME_ZONE. */
  month: string;
  limit: number;
  /** The local dates [fromDate, toDate) of the month. */
  fromDate: string;
  toDate: string;
}

/** A misspelt parameter would silently give the default; refuse any parameter not in `allowed`. */
export function refuseUnknownParameters(query: Record<string, QueryValue> | undefined, allowed: readonly string[]): void {
  const unknown = Object.keys(query ?? {}).filter((name) => !allowed.includes(name));
  if (unknown.length === 0) return;
  const expected = allowed.length === 0 ? 'this endpoint takes none' : `expected ${allowed.join(', ')}`;
  throw new DomainError(
    'VALIDATION_FAILED',
    `unknown query parameter ${unknown.map((n) => JSON.stringify(n)).join(', ')}; ${expected}`,
    unknown.map((name) => ({ path: name, message: 'unknown parameter' })),
  );
}

/**
 * ?month=YYYY-MM&limit=N: month defaults to `currentMonth` (of STATS_TIME_ZONE) and must lie
 * between 2000-01 and it; limit 1–100, default 10. Every bad parameter is reported at once.
 */
export function parseTopPrefixesQuery(raw: { month?: QueryValue; limit?: QueryValue }, currentMonth: string): TopPrefixesQuery {
  const problems: FieldProblem[] = [];
  const read = (name: 'month' | 'limit'): string | undefined => {
    try {
      const value = querySingle(name, raw[name]);
      return value === '' ? undefined : value;
    } catch (error) {
      problems.push({ path: name, message: (error as Error).message });
      return undefined;
    }
  };
  const monthText = read('month');
  let month = currentMonth;
  if (monthText !== undefined) {
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(monthText)) problems.push({ path: 'month', message: `must be a month as YYYY-MM, got ${JSON.stringify(monthText.slice(0, 20))}` });
    else if (monthText < FIRST_MONTH) problems.push({ path: 'month', message: `must be ${FIRST_MONTH} or later, got ${monthText}` });
    else if (monthText > currentMonth) problems.push({ path: 'month', message: `${monthText} is in the future: the current month is ${currentMonth}` });
    else month = monthText;
  }
  const limitText = read('limit');
  let limit = DEFAULT_TOP_LIMIT;
  if (limitText !== undefined) {
    if (!/^\d{1,4}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > MAX_TOP_LIMIT) {
      problems.push({ path: 'limit', message: `must be a whole number from 1 to ${MAX_TOP_LIMIT}, got ${JSON.stringify(limitText.slice(0, 20))}` });
    } else {
      limit = Number(limitText);
    }
  }
  if (problems.length > 0) throw new DomainError('VALIDATION_FAILED', problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems);
  return { month, limit, fromDate: `${month}-01`, toDate: `${nextMonth(month)}-01` };
}

function nextMonth(month: string): string {
  const [year, number] = month.split('-').map(Number);
  return number === 12 ? `${year + 1}-01` : `${year}-${String(number + 1).padStart(2, '0')}`;
}
