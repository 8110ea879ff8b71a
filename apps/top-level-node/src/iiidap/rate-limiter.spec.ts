import { FixedWindowRateLimiter } from './rate-limiter';

describe('FixedWindowRateLimiter', () => {
  it('allows `limit` requests per window and client, then says how long to wait', () => {
    const limiter = new FixedWindowRateLimiter(2, 60_000);
    expect(limiter.take('a', 1_000)).toBeUndefined();
    expect(limiter.take('a', 2_000)).toBeUndefined();
    expect(limiter.take('a', 3_000)).toBe(58);
    expect(limiter.take('b', 3_000)).toBeUndefined();
    expect(limiter.take('a', 60_999)).toBe(1);
    expect(limiter.take('a', 61_000)).toBeUndefined();
  });
});
