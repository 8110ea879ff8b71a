import { latencyQuantile, ResolutionLatency } from './resolution-latency';

describe('latencyQuantile', () => {
  it('is null without observations', () => {
    expect(latencyQuantile(new ResolutionLatency().snapshot(), 0.99)).toBeNull();
  });

  it('interpolates within the bucket holding the rank, over every tier together', () => {
    const latency = new ResolutionLatency();
    // 99 fast L1 answers (≤ 50 µs) and one database answer between 1 and 2.5 ms.
    for (let i = 0; i < 99; i += 1) latency.observe('l1', 0.00002);
    latency.observe('db', 0.002);
    // Rank 99 of 100 is the last of the first bucket: its upper bound.
    expect(latencyQuantile(latency.snapshot(), 0.99)).toBeCloseTo(0.00005, 12);
    // Rank 99.5 falls halfway into the bucket (0.001, 0.0025] that holds the one slow answer.
    expect(latencyQuantile(latency.snapshot(), 0.995)).toBeCloseTo(0.00175, 12);
  });

  it('gives the largest finite bound for a rank beyond it', () => {
    const latency = new ResolutionLatency();
    latency.observe('error', 10);
    expect(latencyQuantile(latency.snapshot(), 0.99)).toBe(2.5);
  });
});
