import { rateAt, segmentsOf, timeOfCount, totalCount, totalDuration } from './schedule';

describe('arrival schedule', () => {
  it('spaces a constant rate evenly: the n-th request is due at n / rate', () => {
    const segments = segmentsOf([{ kind: 'constant', duration: 10 }], 200);
    expect(totalCount(segments)).toBe(2000);
    expect(timeOfCount(segments, 0)).toBe(0);
    expect(timeOfCount(segments, 1)).toBeCloseTo(0.005, 12);
    expect(timeOfCount(segments, 1999)).toBeCloseTo(9.995, 9);
    expect(timeOfCount(segments, 2000)).toBe(Infinity);
  });

  it('integrates a ramp: half the requests of a 0→100/s ramp over 10 s fall due after 7.07 s', () => {
    const segments = segmentsOf([{ kind: 'ramp', duration: 10, from: 0, to: 100 }], 0);
    expect(totalCount(segments)).toBe(500);
    // N(t) = 5 t²: N = 250 at t = √50.
    expect(timeOfCount(segments, 250)).toBeCloseTo(Math.sqrt(50), 9);
    expect(rateAt(segments, 5)).toBeCloseTo(50, 9);
    // Strictly increasing due times.
    let last = -1;
    for (let n = 0; n < 500; n += 1) {
      const t = timeOfCount(segments, n);
      expect(t).toBeGreaterThan(last);
      last = t;
    }
  });

  it('expands steps and keeps warm-up unmeasured, each phase after the previous one', () => {
    const segments = segmentsOf(
      [
        { kind: 'warmup', duration: 2, rate: 50 },
        { kind: 'step', from: 100, step: 100, every: 3, steps: 3 },
      ],
      999,
    );
    expect(segments.map((s) => [s.kind, s.measured, s.start, s.r0])).toEqual([
      ['warmup', false, 0, 50],
      ['step', true, 2, 100],
      ['step', true, 5, 200],
      ['step', true, 8, 300],
    ]);
    expect(totalDuration(segments)).toBe(11);
    expect(totalCount(segments)).toBe(100 + 300 + 600 + 900);
    // The first request of the 200/s step is due when the step starts.
    expect(timeOfCount(segments, 100 + 300)).toBeCloseTo(5, 9);
    expect(timeOfCount(segments, 100 + 300 + 1)).toBeCloseTo(5.005, 9);
  });

  it('refuses a phase without a positive duration or with a negative rate', () => {
    expect(() => segmentsOf([{ kind: 'constant', duration: 0 }], 10)).toThrow(/duration must be positive/);
    expect(() => segmentsOf([{ kind: 'ramp', duration: 5, from: -1, to: 10 }], 10)).toThrow(/non-negative/);
  });
});
