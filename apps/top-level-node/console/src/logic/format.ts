import type { FilingItem, Settings } from './types';

export { formatCount, formatDateTime, timeAgo } from '@idis/console-kit/format';

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
