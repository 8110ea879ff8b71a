import { DomainError } from '../errors/domain-errors';
import { MAX_POINTS, parseSeriesQuery, type RawSeriesQuery } from './series-query';
import { StatsCalendar } from './stats-calendar';

const NOW = Date.parse('2026-11-23T12:34:56.789Z');

function problemsOf(raw: RawSeriesQuery): Array<{ path: string; message: string }> {
  try {
    parseSeriesQuery(raw, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('VALIDATION_FAILED');
    return (error as DomainError).problems;
  }
  throw new Error('expected a validation error');
}

describe('parseSeriesQuery', () => {
  it('defaults to the last 60 minutes at 1m, ending after the current minute', () => {
    const query = parseSeriesQuery({}, NOW);
    expect(query).toEqual({
      step: '1m',
      stepMs: 60_000,
      fromMs: Date.parse('2026-11-23T11:35:00Z'),
      toMs: Date.parse('2026-11-23T12:35:00Z'),
      points: 60,
      prefix: undefined,
    });
  });

  it('defaults to 24 points at 1h and 30 at 1d', () => {
    expect(parseSeriesQuery({ step: '1h' }, NOW).points).toBe(24);
    const daily = parseSeriesQuery({ step: '1d', to: '2026-11-23' }, NOW);
    expect([new Date(daily.fromMs).toISOString(), daily.points]).toEqual(['2026-10-24T00:00:00.000Z', 30]);
  });

  it('with a calendar, starts default 1h series on a whole hour and 1d series at a local midnight', () => {
    const beijing = new StatsCalendar('Asia/Shanghai');
    const hourly = parseSeriesQuery({ step: '1h' }, NOW, beijing);
    // NOW is 12:34 UTC: 24 points from 13:00 the day before, the last one the current hour so far.
    expect([new Date(hourly.fromMs).toISOString(), new Date(hourly.toMs).toISOString(), hourly.points]).toEqual(['2026-11-22T13:00:00.000Z', '2026-11-23T12:35:00.000Z', 24]);
    const daily = parseSeriesQuery({ step: '1d' }, NOW, beijing);
    // 20:34 on 23 November in Beijing: 30 days from Beijing midnight of 25 October.
    expect([new Date(daily.fromMs).toISOString(), daily.points]).toEqual(['2026-10-24T16:00:00.000Z', 30]);
    expect(parseSeriesQuery({ step: '1m' }, NOW, beijing).fromMs).toBe(Date.parse('2026-11-23T11:35:00Z'));
  });

  it('reads dates, date-times with Z or an offset, fractions, and a "+" that arrived as a space', () => {
    const at = (text: string) => parseSeriesQuery({ from: text, to: '2030-01-01', step: '1d' }, NOW).fromMs;
    expect(at('2026-11-01')).toBe(Date.parse('2026-11-01T00:00:00Z'));
    expect(at('2026-11-01T00:00:00+08:00')).toBe(Date.parse('2026-10-31T16:00:00Z'));
    expect(at('2026-11-01T00:00:00 08:00')).toBe(Date.parse('2026-10-31T16:00:00Z'));
    expect(at('2026-11-01T00:00+0800')).toBe(Date.parse('2026-10-31T16:00:00Z'));
    expect(at('2026-11-01T10:20:30.999999Z')).toBe(Date.parse('2026-11-01T10:20:00Z'));
    expect(at('2026-11-01t10:20:00z')).toBe(Date.parse('2026-11-01T10:20:00Z'));
    expect(at('2026-11-01T05:00:00-05:30')).toBe(Date.parse('2026-11-01T10:30:00Z'));
  });

  it('rounds from down and to up to whole minutes, and points start at from (days of any time zone)', () => {
    const query = parseSeriesQuery({ from: '2026-11-01T00:00:00+08:00', to: '2026-11-03T00:00:00+08:00', step: '1d' }, NOW);
    expect(query.points).toBe(2);
    expect(new Date(query.fromMs).toISOString()).toBe('2026-10-31T16:00:00.000Z');
    const partial = parseSeriesQuery({ from: '2026-11-01T10:00:59Z', to: '2026-11-01T10:02:01Z' }, NOW);
    expect([new Date(partial.fromMs).toISOString(), new Date(partial.toMs).toISOString(), partial.points]).toEqual([
      '2026-11-01T10:00:00.000Z',
      '2026-11-01T10:03:00.000Z',
      3,
    ]);
    // A last, partial point: 90 minutes at 1h are two points.
    expect(parseSeriesQuery({ from: '2026-11-01T10:00:00Z', to: '2026-11-01T11:30:00Z', step: '1h' }, NOW).points).toBe(2);
  });

  it('allows up to MAX_POINTS points per step and refuses more', () => {
    expect(parseSeriesQuery({ from: '2026-11-01T00:00:00Z', to: '2026-11-02T01:00:00Z', step: '1m' }, NOW).points).toBe(MAX_POINTS);
    expect(problemsOf({ from: '2026-11-01T00:00:00Z', to: '2026-11-02T01:01:00Z', step: '1m' })).toEqual([
      { path: 'from', message: 'from 2026-11-01T00:00:00.000Z to 2026-11-02T01:01:00.000Z is 1501 points of 1m; at most 1500 (25 hours) per request' },
    ]);
    expect(problemsOf({ from: '2026-01-01', to: '2026-03-05', step: '1h' })[0].message).toMatch(/1512 points of 1h; at most 1500 \(62.5 days\)/);
    expect(parseSeriesQuery({ from: '2023-01-01', to: '2027-02-08', step: '1d' }, NOW).points).toBe(1499);
  });

  it('parses the prefix, keeps its spelling and lower-cases its key; "-" is the bucket of other prefixes', () => {
    expect(parseSeriesQuery({ prefix: '88.118.ABC' }, NOW).prefix).toEqual({ prefix: '88.118.ABC', prefixKey: '88.118.abc' });
    expect(parseSeriesQuery({ prefix: '-' }, NOW).prefix).toEqual({ prefix: '-', prefixKey: '-' });
    expect(parseSeriesQuery({ prefix: '' }, NOW).prefix).toBeUndefined();
  });

  it.each([
    [{ step: '5m' }, 'step', 'must be one of 1m, 1h, 1d, got "5m"'],
    [{ step: ['1m', '1h'] }, 'step', 'query parameter step may be given only once'],
    [{ from: 'yesterday' }, 'from', /must be an ISO 8601 date/],
    [{ from: '1700000000000' }, 'from', /must be an ISO 8601 date/],
    [{ from: '2026-11-01T10:00:00' }, 'from', /must be an ISO 8601 date/],
    [{ from: '2026-02-29' }, 'from', 'has no day 29 in 2026-02, got "2026-02-29"'],
    [{ from: '2026-13-01' }, 'from', 'has no month 13, got "2026-13-01"'],
    [{ to: '2026-11-01T24:00:00Z' }, 'to', /has an invalid time of day/],
    [{ to: '2026-11-01T10:00:60Z' }, 'to', /has an invalid time of day/],
    [{ to: '2026-11-01T10:00:00+24:00' }, 'to', /has an invalid offset/],
    [{ from: '1969-12-31' }, 'from', /must not be before 1970/],
    [{ from: '2026-11-02', to: '2026-11-01' }, 'from', 'must be before to (2026-11-01T00:00:00.000Z)'],
    [{ from: '2026-11-01T10:00:30Z', to: '2026-11-01T10:00:00Z' }, 'from', /must be before to/],
    [{ from: '2026-11-24' }, 'from', 'must be before to (2026-11-23T12:35:00.000Z, now)'],
    [{ prefix: '88.118.8/x' }, 'prefix', /not allowed/],
    [{ prefix: '88..8' }, 'prefix', /is empty/],
    [{ prefix: `88.${'1'.repeat(70)}` }, 'prefix', /the limit is 64/],
  ] as Array<[RawSeriesQuery, string, string | RegExp]>)('refuses %j', (raw, path, message) => {
    const problems = problemsOf(raw);
    expect(problems).toHaveLength(1);
    expect(problems[0].path).toBe(path);
    if (typeof message === 'string') expect(problems[0].message).toBe(message);
    else expect(problems[0].message).toMatch(message);
  });

  it('reports every bad parameter at once', () => {
    expect(problemsOf({ step: 'weekly', from: 'soon', prefix: '88 118' }).map((p) => p.path)).toEqual(['step', 'from', 'prefix']);
  });
});
