/**
 * Query strings of the listings: empty filters are left out (the node refuses none, but an empty
 * `q=` would read as "no filter" only by its courtesy), and a picked range of days becomes the
 * instants the node filters on: from the first day's local midnight to the midnight after the last
 * day (the node's `to` is exclusive; a bare date would be midnight UTC, not the reader's day).
 */
export type QueryParams = Record<string, string | number | null | undefined>;

export function queryString(params: QueryParams): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

/** `path` with `params` (left out when empty). */
export function withQuery(path: string, params: QueryParams): string {
  return `${path}${queryString(params)}`;
}

/** [first, last] days (YYYY-MM-DD, as the date picker gives them) as from/to instants of the reader's time zone. */
export function dayRange(days: [string, string] | null | undefined): { from?: string; to?: string } {
  if (!days) return {};
  const [first, last] = days.map(localMidnight);
  const after = new Date(last.getFullYear(), last.getMonth(), last.getDate() + 1);
  return { from: first.toISOString(), to: after.toISOString() };
}

function localMidnight(day: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) throw new Error(`not a day: ${day}`);
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
}

/** The current month as YYYY-MM (the reader's calendar; the node refuses a month still to come). */
export function monthOf(date: Date): string {
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}`;
}
