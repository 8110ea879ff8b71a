import { OverviewService } from './overview.service';
import { ResolutionLatency } from './resolution-latency';
import type { UsageCountRepository } from './usage-count.repository';
import type { UsageCounter } from './usage-counter';

/** The database side answers nothing counted: these tests are about the latency window. */
const emptyRepository = {
  dailyTotals: async () => ({ totals: [], firstDay: null }),
  resolutionsInMinute: async () => 0,
  activeEnterprises: async () => 0,
} as unknown as UsageCountRepository;
const counter = { flush: async () => undefined } as unknown as UsageCounter;

describe('OverviewService latency window', () => {
  const T0 = Date.parse('2026-12-01T08:00:00Z');

  it('gives the p99 since the process started, then of about the last five minutes', async () => {
    const latency = new ResolutionLatency();
    const overview = new OverviewService(emptyRepository, counter, latency, { flushIntervalMs: 5000, timeZone: 'Asia/Shanghai', enterpriseTarget: 100 });
    for (let i = 0; i < 100; i += 1) latency.observe('db', 0.2); // slow, early

    const first = await overview.overview(T0);
    expect(first.latency).toMatchObject({ observations: 100, from: latency.since.toISOString(), to: '2026-12-01T08:00:00.000Z' });
    expect(first.latency.p99Seconds).toBeGreaterThan(0.1);

    // Polled every 30 s for 6 minutes while only fast answers arrive.
    let last = first;
    for (let t = 30_000; t <= 6 * 60_000; t += 30_000) {
      for (let i = 0; i < 10; i += 1) latency.observe('l1', 0.00002);
      last = await overview.overview(T0 + t);
    }
    // The window starts at the oldest snapshot at most five minutes old (taken at 1:00), after the slow ones.
    expect(last.latency.from).toBe('2026-12-01T08:01:00.000Z');
    expect(last.latency.observations).toBe(100);
    expect(last.latency.p99Seconds).toBeLessThanOrEqual(0.00005);
  });
});
