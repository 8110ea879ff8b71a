import { daysBetween, lastDays, volumeSeries } from './volumes';

const row = (nodeId: string, day: string, resolutions: number, registrations = 0) => ({ nodeId, day, resolutions, registrations, notFound: 0, errors: 0, reports: 1 });

describe('the volumes chart of the top-level console', () => {
  it('asks for the last n UTC days, today included', () => {
    expect(lastDays(7, new Date('2026-12-05T23:59:59Z'))).toEqual({ from: '2026-11-29', to: '2026-12-06' });
    expect(lastDays(1, new Date('2026-12-05T00:00:00Z'))).toEqual({ from: '2026-12-05', to: '2026-12-06' });
  });

  it('lists every day of the range, across a month end, without the end day', () => {
    expect(daysBetween('2026-11-29', '2026-12-02')).toEqual(['2026-11-29', '2026-11-30', '2026-12-01']);
    expect(daysBetween('2026-12-02', '2026-12-02')).toEqual([]);
  });

  it('gives each node one value per day (0 where it reported nothing), largest total first, and ignores days outside the range', () => {
    const days = ['2026-12-03', '2026-12-04', '2026-12-05'];
    const items = [row('node-b', '2026-12-05', 7, 1), row('node-a', '2026-12-03', 2), row('node-a', '2026-12-05', 3), row('node-b', '2026-11-01', 1000)];
    expect(volumeSeries(items, 'resolutions', days)).toEqual([
      { nodeId: 'node-b', values: [0, 0, 7], total: 7 },
      { nodeId: 'node-a', values: [2, 0, 3], total: 5 },
    ]);
    expect(volumeSeries(items, 'registrations', days).map((s) => [s.nodeId, s.total])).toEqual([
      ['node-b', 1],
      ['node-a', 0],
    ]);
  });

  it('orders nodes with equal totals by id, so colours do not swap between refreshes', () => {
    const days = ['2026-12-05'];
    expect(volumeSeries([row('node-z', '2026-12-05', 1), row('node-m', '2026-12-05', 1)], 'resolutions', days).map((s) => s.nodeId)).toEqual(['node-m', 'node-z']);
  });
});
