import { backoffCeilingMs, describeFailure, retryDelayMs } from './backoff';

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

describe('backoffCeilingMs', () => {
  it('is the delay without jitter: the base doubled per retry after the first, capped', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => backoffCeilingMs(a, 200, 5000))).toEqual([200, 200, 400, 800, 1600, 3200, 5000]);
    expect(backoffCeilingMs(Number.MAX_SAFE_INTEGER, 10, 600_000)).toBe(600_000);
  });
});

describe('describeFailure', () => {
  const GRPC_LIKE: Record<number, string> = { 7: 'PERMISSION_DENIED', 14: 'UNAVAILABLE' };

  it('names the code from the table given and puts the detail on one line', () => {
    expect(describeFailure({ code: 7, details: 'prefix 88.200.5\nis not yours' }, GRPC_LIKE)).toBe('PERMISSION_DENIED: prefix 88.200.5 is not yours');
    expect(describeFailure({ code: 99, message: 'odd' }, GRPC_LIKE)).toBe('code 99: odd');
    expect(describeFailure({ code: 14, message: 'no route' })).toBe('code 14: no route');
  });

  it('says ERROR without a code and keeps at most 1000 characters', () => {
    expect(describeFailure(new Error('socket  hang\tup'))).toBe('ERROR: socket hang up');
    expect(describeFailure('plain text')).toBe('ERROR: plain text');
    expect(describeFailure(new Error('x'.repeat(2000))).length).toBe(1000);
  });
});
