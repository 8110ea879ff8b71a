import { DAY_MS, planSources, StatsCalendar } from './stats-calendar';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('StatsCalendar', () => {
  const beijing = new StatsCalendar('Asia/Shanghai');
  const berlin = new StatsCalendar('Europe/Berlin');
  const kolkata = new StatsCalendar('Asia/Kolkata');

  it('gives the offset, the local day start, the next one and the date', () => {
    expect(beijing.offsetMs(at('2026-11-30T20:00:00Z'))).toBe(8 * 3600_000);
    // 23:59 UTC on 30 November is 07:59 on 1 December in Beijing.
    expect(beijing.dateOf(at('2026-11-30T23:59:00Z'))).toBe('2026-12-01');
    expect(iso(beijing.startOfDay(at('2026-11-30T23:59:00Z')))).toBe('2026-11-30T16:00:00.000Z');
    expect(iso(beijing.startOfDay(at('2026-11-30T16:00:00Z')))).toBe('2026-11-30T16:00:00.000Z');
    expect(iso(beijing.startOfDay(at('2026-11-30T15:59:00Z')))).toBe('2026-11-29T16:00:00.000Z');
    expect(iso(beijing.startOfNextDay(at('2026-11-30T15:59:00Z')))).toBe('2026-11-30T16:00:00.000Z');
    expect(iso(beijing.startOfDate('2026-12-01'))).toBe('2026-11-30T16:00:00.000Z');
    expect(iso(kolkata.startOfDate('2026-12-01'))).toBe('2026-11-30T18:30:00.000Z');
  });

  it('follows DST: Berlin days of 23 and 25 hours', () => {
    expect(iso(berlin.startOfDate('2026-03-29'))).toBe('2026-03-28T23:00:00.000Z');
    expect(iso(berlin.startOfDate('2026-03-30'))).toBe('2026-03-29T22:00:00.000Z');
    expect(iso(berlin.startOfNextDay(at('2026-10-25T12:00:00Z')))).toBe('2026-10-25T23:00:00.000Z');
    expect(berlin.hasFixedDays(at('2026-03-20T23:00:00Z'), 5)).toBe(true);
    expect(berlin.hasFixedDays(at('2026-03-20T23:00:00Z'), 10)).toBe(false);
    expect(beijing.hasFixedDays(at('2025-12-31T16:00:00Z'), 365)).toBe(true);
  });
});

describe('planSources', () => {
  const beijing = new StatsCalendar('Asia/Shanghai');
  const berlin = new StatsCalendar('Europe/Berlin');
  const shape = (segments: ReturnType<typeof planSources>) => segments.map((s) => [s.source, iso(s.fromMs), iso(s.toMs), s.fromDate, s.toDate].filter((x) => x !== undefined));

  it('reads whole local days from the daily roll-up, then hours, then minutes', () => {
    const from = at('2026-10-31T16:00:00Z'); // midnight, 1 November in Beijing
    expect(shape(planSources(from, from + 30 * DAY_MS + 90 * 60_000 + 7 * 60_000, 'daily', beijing, true))).toEqual([
      ['daily', '2026-10-31T16:00:00.000Z', '2026-11-30T16:00:00.000Z', '2026-11-01', '2026-12-01'],
      ['hourly', '2026-11-30T16:00:00.000Z', '2026-11-30T17:00:00.000Z'],
      ['minute', '2026-11-30T17:00:00.000Z', '2026-11-30T17:37:00.000Z'],
    ]);
  });

  it('does not read days when the points are not local days: UTC midnight in Beijing, or 1h steps', () => {
    const from = at('2026-11-01T00:00:00Z');
    expect(shape(planSources(from, from + 3 * DAY_MS, 'daily', beijing, true))).toEqual([['hourly', '2026-11-01T00:00:00.000Z', '2026-11-04T00:00:00.000Z']]);
    const local = at('2026-10-31T16:00:00Z');
    expect(shape(planSources(local, local + 2 * DAY_MS, 'hourly', beijing, false))).toEqual([['hourly', '2026-10-31T16:00:00.000Z', '2026-11-02T16:00:00.000Z']]);
  });

  it('reads only minutes when the start is not on an hour, or for 1m series', () => {
    const from = at('2026-11-01T00:30:00Z');
    expect(shape(planSources(from, from + DAY_MS, 'daily', beijing, true))).toEqual([['minute', '2026-11-01T00:30:00.000Z', '2026-11-02T00:30:00.000Z']]);
    const hour = at('2026-11-01T00:00:00Z');
    expect(shape(planSources(hour, hour + 3600_000, 'minute', beijing, false))).toEqual([['minute', '2026-11-01T00:00:00.000Z', '2026-11-01T01:00:00.000Z']]);
  });

  it('uses fixed 24-hour points as days only while no DST change falls in them', () => {
    const from = at('2026-03-20T23:00:00Z'); // midnight, 21 March in Berlin; DST starts on 29 March
    expect(shape(planSources(from, from + 14 * DAY_MS, 'daily', berlin, true))).toEqual([['hourly', '2026-03-20T23:00:00.000Z', '2026-04-03T23:00:00.000Z']]);
    // A single total over the range (not fixed steps) may use days of any length.
    expect(shape(planSources(from, at('2026-04-03T22:00:00Z'), 'daily', berlin, false))).toEqual([['daily', '2026-03-20T23:00:00.000Z', '2026-04-03T22:00:00.000Z', '2026-03-21', '2026-04-04']]);
  });
});
