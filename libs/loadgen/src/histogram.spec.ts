import { decodeHistogram, encodeHistogram, mergeEncoded, newHistogram, recordMs, summarise } from './histogram';
import { mergeParts } from './run';
import { Recorder } from './recorder';
import { seededRandom } from './keys';

describe('histogram merging', () => {
  it('merges encoded histograms exactly: the same as recording everything into one', () => {
    const random = seededRandom(9);
    const all = newHistogram();
    const parts = [newHistogram(), newHistogram(), newHistogram()];
    for (let i = 0; i < 30_000; i += 1) {
      // A long-tailed latency: mostly ~1 ms, sometimes hundreds.
      const ms = random() < 0.02 ? 50 + random() * 500 : 0.2 + random() * 2;
      recordMs(all, ms);
      recordMs(parts[i % 3], ms);
    }
    const merged = mergeEncoded(parts.map(encodeHistogram));
    expect(merged.totalCount).toBe(all.totalCount);
    for (const p of [50, 90, 99, 99.9, 99.99, 100]) expect(merged.getValueAtPercentile(p)).toBe(all.getValueAtPercentile(p));
    expect(summarise(merged)).toEqual(summarise(all));
    expect(decodeHistogram(encodeHistogram(all)).totalCount).toBe(30_000);
  });

  it('merges workers\' parts: counts add, percentiles are those of the union, not an average', () => {
    const fast = new Recorder(0);
    const slow = new Recorder(0);
    for (let i = 0; i < 990; i += 1) fast.record('resolve', 1, undefined, true);
    for (let i = 0; i < 10; i += 1) slow.record('resolve', 100, undefined, true);
    slow.record('resolve', 0, 'HTTP 500', true);
    const cpu = { user: 0, system: 0 };
    const merged = mergeParts([fast.part(0, 1, 1000, cpu, false, false), slow.part(1, 1, 1000, cpu, false, false)]);
    expect(merged.requests).toBe(1001);
    expect(merged.errors).toBe(1);
    expect(merged.errorsByKind).toEqual({ 'resolve: HTTP 500': 1 });
    // 10 of 1,000 successes took 100 ms: p99 of the union is 1 ms, p99.9 is 100 ms; the failure is not a latency.
    expect(merged.latency.count).toBe(1000);
    expect(merged.latency.p99).toBeCloseTo(1, 2);
    expect(merged.latency.p999).toBeCloseTo(100, 0);
    expect(merged.operations.resolve).toMatchObject({ requests: 1001, ok: 1000, errors: 1 });
  });

  it('keeps warm-up answers out of the measured figures', () => {
    const r = new Recorder(0);
    r.record('resolve', 500, undefined, false);
    r.record('resolve', 2, undefined, true);
    const part = r.part(0, 1, 1000, { user: 0, system: 0 }, false, false);
    expect([part.warmupRequests, part.requests]).toEqual([1, 1]);
    expect(summarise(decodeHistogram(part.histogram)).max).toBeCloseTo(2, 2);
  });
});
