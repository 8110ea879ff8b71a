import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => {
    clock = 1000;
  });

  it('lets a burst of `capacity` through, then paces at `rate` per second', () => {
    const bucket = new TokenBucket(100, 10, now);
    for (let i = 0; i < 10; i += 1) expect(bucket.tryTake(1)).toBe(0);
    expect(bucket.tryTake(1)).toBe(10); // one token takes 10 ms at 100/s
    clock += 10;
    expect(bucket.tryTake(1)).toBe(0);
    expect(bucket.tryTake(1)).toBeGreaterThan(0);
  });

  it('over one simulated second admits rate + capacity tokens at most', () => {
    const bucket = new TokenBucket(500, 25, now);
    let taken = 0;
    for (let ms = 0; ms <= 1000; ms += 1) {
      clock = 1000 + ms;
      while (bucket.tryTake(1) === 0) taken += 1;
    }
    expect(taken).toBeGreaterThanOrEqual(500);
    expect(taken).toBeLessThanOrEqual(525 + 1);
  });

  it('a request larger than the capacity waits for a full bucket and then goes into debt', () => {
    const bucket = new TokenBucket(10, 2, now);
    expect(bucket.tryTake(5)).toBe(0); // 2 - 5 = -3
    expect(bucket.tryTake(1)).toBe(400); // back to +1 takes 4 tokens = 400 ms
    clock += 400;
    expect(bucket.tryTake(1)).toBe(0);
  });

  it('take() gives up instead of waiting past the deadline, taking nothing', async () => {
    const bucket = new TokenBucket(1, 1, now);
    expect(await bucket.take(1, 5000)).toBe(true);
    expect(await bucket.take(1, clock + 10)).toBe(false);
    clock += 1000;
    expect(bucket.tryTake(1)).toBe(0);
  });

  it('take() waits in real time for the next token', async () => {
    const bucket = new TokenBucket(50, 1);
    const started = performance.now();
    expect(await bucket.take(1)).toBe(true);
    expect(await bucket.take(1)).toBe(true);
    expect(await bucket.take(1)).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(35); // two tokens at 20 ms each, minus timer slack
  });

  it('refuses a rate or capacity that makes no sense', () => {
    expect(() => new TokenBucket(0)).toThrow(/rate/);
    expect(() => new TokenBucket(-5)).toThrow(/rate/);
    expect(() => new TokenBucket(Number.NaN)).toThrow(/rate/);
    expect(() => new TokenBucket(10, 0.5)).toThrow(/capacity/);
  });
});
