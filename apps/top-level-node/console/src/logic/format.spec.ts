import { canReview, formatCount, reviewReasonProblem, timeAgo } from './format';
import { errorOf } from '@idis/console-kit/problem';

describe('the top-level console’s formatting and review rules', () => {
  const now = new Date('2026-12-05T12:00:00Z');

  it('says how long ago a heartbeat was, in the page’s language', () => {
    expect(timeAgo('2026-12-05T11:57:00Z', now, 'en')).toBe('3 minutes ago');
    expect(timeAgo('2026-12-05T11:57:00Z', now, 'zh-CN')).toBe('3分钟前');
    expect(timeAgo('2026-12-03T12:00:00Z', now, 'en')).toBe('2 days ago');
    expect(timeAgo('2026-12-05T12:00:05Z', now, 'en')).toBe('now');
  });

  it('groups the digits of counts', () => {
    expect(formatCount(1850, 'en')).toBe('1,850');
    expect(formatCount(1234567, 'zh-CN')).toBe('1,234,567');
  });

  it('offers approve and reject only in manual review and only while an operation awaits one', () => {
    expect(canReview({ pendingTransactionId: 'a' }, { filingReview: 'manual' })).toBe(true);
    expect(canReview({ pendingTransactionId: null }, { filingReview: 'manual' })).toBe(false);
    expect(canReview({ pendingTransactionId: 'a' }, { filingReview: 'auto' })).toBe(false);
    expect(canReview({ pendingTransactionId: 'a' }, null)).toBe(false);
  });

  it('needs a reason to reject, not to approve, and at most 500 characters', () => {
    expect(reviewReasonProblem('  ', false)).toBe('required');
    expect(reviewReasonProblem('', true)).toBeUndefined();
    expect(reviewReasonProblem('documents missing', false)).toBeUndefined();
    expect(reviewReasonProblem('x'.repeat(501), true)).toBe('tooLong');
  });

  it('reads a problem detail, and falls back to the status line for a reply that is not one', () => {
    const problem = errorOf(403, 'Forbidden', JSON.stringify({ status: 403, code: 'FORBIDDEN', detail: 'wrong admin token' }));
    expect([problem.status, problem.code, problem.message, problem.refusesToken]).toEqual([403, 'FORBIDDEN', 'wrong admin token', true]);
    const other = errorOf(502, 'Bad Gateway', '<html>proxy</html>');
    expect([other.message, other.refusesToken]).toEqual(['HTTP 502 Bad Gateway', false]);
  });
});
