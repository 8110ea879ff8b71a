import fc from 'fast-check';
import { formatUtcMillis, parseDateTime } from './time';

/** The definition parseDateTime implements by hand: the syntax as one regular expression, then the range checks. */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

function reference(text: string): number | null {
  const m = DATE_TIME.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const days = month === 2 ? ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > days) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (!m[8]) {
    if (Number(m[10]) > 23 || Number(m[11]) > 59) return null;
    offsetMinutes = (Number(m[10]) * 60 + Number(m[11])) * (m[9] === '-' ? -1 : 1);
  }
  const fraction = (m[7] ?? '').padEnd(4, '0');
  const millis = Number(fraction.slice(0, 3)) + (Number(fraction[3]) >= 5 ? 1 : 0);
  return Date.UTC(year, month - 1, day, hour, minute, second) + millis - offsetMinutes * 60_000;
}

describe('parseDateTime', () => {
  it.each([
    ['2025-01-15T08:00:00Z', Date.UTC(2025, 0, 15, 8)],
    ['2025-01-15t08:00:00z', Date.UTC(2025, 0, 15, 8)],
    ['2025-01-15T08:00:00.000+08:00', Date.UTC(2025, 0, 15, 0)],
    ['2025-01-15T08:00:00-05:30', Date.UTC(2025, 0, 15, 13, 30)],
    ['2024-02-29T23:59:59.9995+00:00', Date.UTC(2024, 2, 1)],
    ['2019-11-07T15:03:03.1415Z', Date.UTC(2019, 10, 7, 15, 3, 3, 142)],
    ['2019-11-07T15:03:03.14149999Z', Date.UTC(2019, 10, 7, 15, 3, 3, 141)],
  ])('reads %s', (text, expected) => {
    expect(parseDateTime(text)).toBe(expected);
  });

  it.each([
    '',
    '2025-01-15',
    '2025-01-15T08:00:00',
    '2025-01-15T08:00Z',
    '2025-01-15 08:00:00Z',
    '2025-01-15T08:00:00.Z',
    '2025-01-15T08:00:00+0800',
    '2025-01-15T08:00:00+08:00 ',
    ' 2025-01-15T08:00:00Z',
    '2025-01-15T08:00:00Z\n',
    '2025-02-29T08:00:00Z',
    '2025-13-01T08:00:00Z',
    '2025-01-15T24:00:00Z',
    '2025-01-15T08:60:00Z',
    '2025-01-15T08:00:60Z',
    '2025-01-15T08:00:00+24:00',
    '2025-01-15T08:00:00+08:60',
    '0999-01-15T08:00:00Z',
    '２０２５-01-15T08:00:00Z',
    '2025-01-15T08:00:00.１Z',
  ])('refuses %j', (text) => {
    expect(parseDateTime(text)).toBeNull();
  });

  it('agrees with the regular-expression definition on generated date-times and near misses', () => {
    const two = fc.integer({ min: 0, max: 99 }).map((n) => String(n).padStart(2, '0'));
    const dateTime = fc
      .record({
        year: fc.integer({ min: 900, max: 9999 }).map((n) => String(n).padStart(4, '0')),
        month: two,
        day: two,
        t: fc.constantFrom('T', 't', ' ', 'X'),
        hour: two,
        minute: two,
        second: two,
        fraction: fc.option(fc.stringMatching(/^[0-9]{0,9}$/), { nil: undefined }),
        zone: fc.oneof(fc.constantFrom('Z', 'z', '', 'Q'), fc.tuple(fc.constantFrom('+', '-', '~'), two, fc.constantFrom(':', ''), two).map((p) => p.join(''))),
      })
      .map((p) => `${p.year}-${p.month}-${p.day}${p.t}${p.hour}:${p.minute}:${p.second}${p.fraction === undefined ? '' : `.${p.fraction}`}${p.zone}`);
    const mutated = fc.tuple(dateTime, fc.nat(40), fc.string({ maxLength: 2 })).map(([text, at, insert]) => text.slice(0, at) + insert + text.slice(at + 1));
    fc.assert(
      fc.property(fc.oneof(dateTime, mutated, fc.string({ maxLength: 40 })), (text) => {
        expect(parseDateTime(text)).toBe(reference(text));
      }),
      { numRuns: 20_000 },
    );
  });

  it('formats in UTC with exactly millisecond precision', () => {
    expect(formatUtcMillis(Date.UTC(2025, 0, 15, 8, 0, 0, 7))).toBe('2025-01-15T08:00:00.007Z');
  });
});
