import { DomainError } from '../errors/domain-errors';
import { parseTopPrefixesQuery, refuseUnknownParameters } from './overview-query';

function problemsOf(run: () => unknown): Array<{ path: string; message: string }> {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return (error as DomainError).problems;
  }
  throw new Error('expected a validation error');
}

describe('parseTopPrefixesQuery', () => {
  it('defaults to the current month and 10, and gives the month as local dates', () => {
    expect(parseTopPrefixesQuery({}, '2026-12')).toEqual({ month: '2026-12', limit: 10, fromDate: '2026-12-01', toDate: '2027-01-01' });
    expect(parseTopPrefixesQuery({ month: '2026-02', limit: '100' }, '2026-12')).toEqual({ month: '2026-02', limit: 100, fromDate: '2026-02-01', toDate: '2026-03-01' });
  });

  it('refuses bad months and limits, all at once', () => {
    expect(problemsOf(() => parseTopPrefixesQuery({ month: '2026-13', limit: '101' }, '2026-12'))).toEqual([
      { path: 'month', message: 'must be a month as YYYY-MM, got "2026-13"' },
      { path: 'limit', message: 'must be a whole number from 1 to 100, got "101"' },
    ]);
    expect(problemsOf(() => parseTopPrefixesQuery({ month: '2027-01' }, '2026-12'))[0].message).toMatch(/in the future: the current month is 2026-12/);
    expect(problemsOf(() => parseTopPrefixesQuery({ month: '1999-12' }, '2026-12'))[0].message).toMatch(/2000-01 or later/);
    for (const limit of ['0', '-1', '1.5', 'ten']) expect(problemsOf(() => parseTopPrefixesQuery({ limit }, '2026-12'))[0].path).toBe('limit');
    expect(problemsOf(() => parseTopPrefixesQuery({ month: ['2026-01', '2026-02'] }, '2026-12'))[0].path).toBe('month');
  });
});

describe('refuseUnknownParameters', () => {
  it('names each unknown parameter', () => {
    expect(() => refuseUnknownParameters({ month: '2026-01' }, ['month'])).not.toThrow();
    expect(problemsOf(() => refuseUnknownParameters({ monht: '2026-01', x: '1' }, ['month', 'limit']))).toEqual([
      { path: 'monht', message: 'unknown parameter' },
      { path: 'x', message: 'unknown parameter' },
    ]);
  });
});
