import { axisLabel, doorBars, overviewCards, seriesQuery, topPrefixBars, trendChart } from './overview';
import type { RegistrationSeries, ResolutionSeries, StatisticsOverview } from './types';

function overview(over: Partial<StatisticsOverview> = {}): StatisticsOverview {
  return {
    timeZone: 'Asia/Shanghai',
    generatedAt: '2026-11-28T06:00:00.000Z',
    today: { date: '2026-11-28', from: '2026-11-27T16:00:00.000Z', to: '2026-11-28T16:00:00.000Z' },
    resolutions: { today: 1234, cumulative: 98765, averageDailyLast30Days: 321.4567, perSecond: 0.4, liveWindow: { from: '', to: '' } },
    registrations: { today: 12, cumulative: 5000 },
    outcomesToday: { l1: 600, l2: 200, db: 200, notFound: 234, error: 0, total: 1234 },
    outcomeSharesToday: { l1: 600 / 1234, l2: 200 / 1234, db: 200 / 1234, notFound: 234 / 1234, error: 0 },
    cacheHitRatioToday: 0.8,
    latency: { p99Seconds: 0.0042, observations: 1500, from: '', to: '' },
    enterprises: { connected: 7, target: 100 },
    countingSince: '2026-10-01',
    ...over,
  };
}

const valueOf = (cards: ReturnType<typeof overviewCards>, key: string) => cards.find((card) => card.key === key);

describe('overview cards', () => {
  it('formats counts with grouping, shares as percentages and p99 in milliseconds', () => {
    const cards = overviewCards(overview(), 'en');
    expect(cards.map((card) => card.key)).toEqual([
      'resolutionsToday', 'registrationsToday', 'resolutionsCumulative', 'registrationsCumulative', 'averageDaily', 'perSecond',
      'l1Share', 'l2Share', 'dbShare', 'notFoundShare', 'cacheHitRatio', 'p99', 'enterprises',
    ]);
    expect(valueOf(cards, 'resolutionsToday')).toMatchObject({ value: '1,234', raw: 1234, detail: { key: 'todayOf', values: { date: '2026-11-28' } } });
    expect(valueOf(cards, 'resolutionsCumulative')).toMatchObject({ value: '98,765', detail: { key: 'since', values: { date: '2026-10-01' } } });
    expect(valueOf(cards, 'registrationsCumulative')?.value).toBe('5,000');
    expect(valueOf(cards, 'averageDaily')?.value).toBe('321.5');
    expect(valueOf(cards, 'perSecond')?.value).toBe('0.40');
    expect(valueOf(cards, 'l1Share')).toMatchObject({ value: '48.6%', detail: { values: { n: '600' } } });
    expect(valueOf(cards, 'notFoundShare')?.value).toBe('19%');
    expect(valueOf(cards, 'cacheHitRatio')?.value).toBe('80%');
    expect(valueOf(cards, 'p99')).toMatchObject({ value: '4.20 ms', raw: 4.2, detail: { values: { n: '1,500' } } });
    expect(valueOf(cards, 'enterprises')).toMatchObject({ value: '7 / 100', raw: 7, detail: { values: { percent: '7%' } } });
  });

  it('shows a dash where the node has no figure yet (no resolutions, no latency, nothing counted)', () => {
    const cards = overviewCards(overview({ outcomeSharesToday: null, cacheHitRatioToday: null, latency: { p99Seconds: null, observations: 0, from: '', to: '' }, countingSince: null }), 'zh-CN');
    for (const key of ['l1Share', 'l2Share', 'dbShare', 'notFoundShare', 'cacheHitRatio', 'p99']) expect(valueOf(cards, key)).toMatchObject({ value: '—', raw: null });
    expect(valueOf(cards, 'resolutionsCumulative')?.detail).toEqual({ key: 'nothingYet' });
  });

  it('writes a long p99 with one decimal', () => {
    expect(valueOf(overviewCards(overview({ latency: { p99Seconds: 0.12345, observations: 3, from: '', to: '' } }), 'en'), 'p99')?.value).toBe('123.5 ms');
  });
});

describe('chart ranges', () => {
  const now = new Date('2026-11-28T06:17:42.500Z');

  it('asks for 1440 minutes ending with the current one, and 168 hours ending with the current one', () => {
    expect(seriesQuery('24h', now)).toEqual({ step: '1m', from: '2026-11-27T06:18:00.000Z' });
    expect(seriesQuery('7d', now)).toEqual({ step: '1h', from: '2026-11-21T07:00:00.000Z' });
  });

  it('leaves the 30 days to the node (days of its statistics time zone)', () => {
    expect(seriesQuery('30d', now)).toEqual({ step: '1d' });
  });
});

describe('trend chart', () => {
  const points = ['2026-11-27T16:00:00.000Z', '2026-11-28T16:00:00.000Z'];
  const zero = { l1: 0, l2: 0, db: 0, notFound: 0, error: 0 };
  const resolutions: ResolutionSeries = {
    from: points[0], to: '2026-11-29T16:00:00.000Z', step: '1d',
    series: [{ t: points[0], ...zero, l1: 3, notFound: 2, total: 5 }, { t: points[1], ...zero, db: 7, total: 7 }],
    totals: { ...zero, l1: 3, db: 7, notFound: 2, total: 12 },
    cacheHitRatio: 0.3,
  };
  const registrations: RegistrationSeries = {
    from: points[0], to: '2026-11-29T16:00:00.000Z', step: '1d',
    series: [{ t: points[0], create: 0, update: 0, delete: 0, total: 0 }, { t: points[1], create: 4, update: 9, delete: 1, total: 14 }],
    totals: { create: 4, update: 9, delete: 1, total: 14 },
  };

  it('draws every outcome as a resolution and created identifiers as registrations, labelled in the node time zone', () => {
    expect(trendChart(resolutions, registrations, 'Asia/Shanghai', 'en')).toEqual({
      labels: ['11/28', '11/29'],
      resolutions: [5, 7],
      registrations: [0, 4],
      totals: { resolutions: 12, registrations: 4 },
    });
  });

  it('labels minutes and hours on a 24-hour clock', () => {
    expect(axisLabel('1m', 'Asia/Shanghai', 'en')('2026-11-28T06:05:00.000Z')).toBe('14:05');
    expect(axisLabel('1h', 'UTC', 'en')('2026-11-28T06:00:00.000Z')).toBe('11/28, 06:00');
  });
});

describe('bars', () => {
  it('puts the top prefix on top (last for ECharts) and names the enterprise where known', () => {
    const bars = topPrefixBars({
      month: '2026-11', timeZone: 'UTC', from: '', to: '', limit: 10,
      items: [
        { rank: 1, prefix: '88.1.1', enterpriseId: 'a', enterpriseName: 'Acme', resolutions: 50, found: 50, notFound: 0 },
        { rank: 2, prefix: '88.1.2', enterpriseId: null, enterpriseName: null, resolutions: 20, found: 10, notFound: 10 },
      ],
    });
    expect(bars).toEqual({ names: ['88.1.2', '88.1.1 · Acme'], values: [20, 50] });
  });

  it('lists every front door, the first one on top', () => {
    const bars = doorBars({ handleRest: 5, snms: 4, proxy: 3, crossNode: 2, handleProtocol: 1, total: 15 }, (door) => door.toUpperCase());
    expect(bars).toEqual({ names: ['HANDLEPROTOCOL', 'CROSSNODE', 'PROXY', 'SNMS', 'HANDLEREST'], values: [1, 2, 3, 4, 5] });
  });
});
