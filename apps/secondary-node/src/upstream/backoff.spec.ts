import { status } from '@grpc/grpc-js';
import { classifyFailure, describeFailure, isUnreachable, retryDelayMs } from './backoff';

describe('retryDelayMs', () => {
  it('doubles from the base up to the cap, with jitter in the upper half', () => {
    const low = () => 0;
    const high = () => 0.999999;
    expect([1, 2, 3, 4, 5].map((a) => retryDelayMs(a, 1000, 10_000, low))).toEqual([500, 1000, 2000, 4000, 5000]);
    expect([1, 2, 3, 4, 5].map((a) => retryDelayMs(a, 1000, 10_000, high))).toEqual([1000, 2000, 4000, 8000, 10_000]);
  });

  it('stays within [cap/2, cap] for any attempt, also absurd ones', () => {
    for (const attempt of [0, -3, 31, 1000, Number.MAX_SAFE_INTEGER]) {
      const delay = retryDelayMs(attempt, 250, 60_000);
      expect(delay).toBeGreaterThanOrEqual(attempt <= 1 ? 125 : 30_000);
      expect(delay).toBeLessThanOrEqual(attempt <= 1 ? 250 : 60_000);
    }
  });
});

describe('classifyFailure', () => {
  it('treats refusals for good as permanent, signatures as credentials, the rest as transient', () => {
    expect(classifyFailure({ code: status.INVALID_ARGUMENT })).toBe('permanent');
    expect(classifyFailure({ code: status.PERMISSION_DENIED })).toBe('permanent');
    expect(classifyFailure({ code: status.ALREADY_EXISTS })).toBe('permanent');
    expect(classifyFailure({ code: status.UNAUTHENTICATED })).toBe('credentials');
    expect(classifyFailure({ code: status.UNAVAILABLE })).toBe('transient');
    expect(classifyFailure({ code: status.DEADLINE_EXCEEDED })).toBe('transient');
    expect(classifyFailure({ code: status.INTERNAL })).toBe('transient');
    expect(classifyFailure(new Error('socket hang up'))).toBe('transient');
  });

  it('knows when the top level is unreachable and describes failures on one line', () => {
    expect(isUnreachable({ code: status.UNAVAILABLE })).toBe(true);
    expect(isUnreachable({ code: status.PERMISSION_DENIED })).toBe(false);
    expect(describeFailure({ code: status.PERMISSION_DENIED, details: 'prefix 88.200.5\nis not yours' })).toBe('PERMISSION_DENIED: prefix 88.200.5 is not yours');
    expect(describeFailure(new Error('x'.repeat(2000))).length).toBe(1000);
  });
});
