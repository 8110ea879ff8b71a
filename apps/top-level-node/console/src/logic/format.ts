import type { FilingItem, Settings } from './types';

/** A timestamp in the reader's time zone, in the page's language. */
export function formatDateTime(iso: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' }).format(new Date(iso));
}

/** A count with the language's digit grouping (1,850). */
export function formatCount(n: number, locale: string): string {
  return new Intl.NumberFormat(locale).format(n);
}

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['day', 86_400],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/** How long ago, in the largest whole unit ("3 分钟前", "3 minutes ago"); a time in the future reads as now. */
export function timeAgo(iso: string, now: Date, locale: string): string {
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(iso)) / 1000));
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  for (const [unit, size] of UNITS) {
    if (seconds >= size || unit === 'second') return format.format(-Math.floor(seconds / size), unit);
  }
  return format.format(0, 'second');
}

/** Approve and reject are offered only in manual review, and only while an operation awaits one. */
export function canReview(filing: Pick<FilingItem, 'pendingTransactionId'>, settings: Pick<Settings, 'filingReview'> | null): boolean {
  return settings?.filingReview === 'manual' && filing.pendingTransactionId !== null;
}

/** The reason an operator typed, checked as the API checks it (a rejection needs one; at most 500 characters). */
export function reviewReasonProblem(reason: string, approve: boolean): 'required' | 'tooLong' | undefined {
  if (!approve && reason.trim().length === 0) return 'required';
  if (reason.length > 500) return 'tooLong';
  return undefined;
}
