import { DomainError } from '../errors/domain-errors';
import { monthIn, readReportMonth } from './report-month';

describe('report month', () => {
  // 2025-10-31T17:00Z is already 1 November in Beijing, still 31 October in UTC.
  const now = new Date('2025-10-31T17:00:00Z');

  it('reckons the current month in the report time zone', () => {
    expect(monthIn('Asia/Shanghai', now)).toBe('2025-11');
    expect(monthIn('UTC', now)).toBe('2025-10');
  });

  it('accepts months up to the current one of the time zone', () => {
    expect(readReportMonth('2025-11', 'Asia/Shanghai', now)).toBe('2025-11');
    expect(readReportMonth('2000-01', 'Asia/Shanghai', now)).toBe('2000-01');
    expect(readReportMonth('2025-10', 'UTC', now)).toBe('2025-10');
  });

  it.each([
    [undefined, /required/],
    ['', /required/],
    ['2025-13', /YYYY-MM/],
    ['2025-1', /YYYY-MM/],
    ['2025-00', /YYYY-MM/],
    ['202511', /YYYY-MM/],
    ['2025-11-01', /YYYY-MM/],
    ['1999-12', /2000-01 or later/],
    [['2025-10', '2025-11'], /only once/],
  ])('refuses %p', (value, message) => {
    expect(() => readReportMonth(value, 'Asia/Shanghai', now)).toThrow(message);
    expect(() => readReportMonth(value, 'Asia/Shanghai', now)).toThrow(DomainError);
  });

  it('refuses a month after the current one of the time zone', () => {
    expect(() => readReportMonth('2025-11', 'UTC', now)).toThrow(/in the future: the current month in UTC is 2025-10/);
    expect(() => readReportMonth('2025-12', 'Asia/Shanghai', now)).toThrow(/future/);
  });
});
