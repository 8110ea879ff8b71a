import { dayRange, monthOf, queryString, withQuery } from './query';

describe('listing queries', () => {
  it('leaves out empty filters and encodes the rest', () => {
    expect(queryString({ status: 'pending_review', q: '', from: undefined, to: null, page: 2, pageSize: 20 })).toBe('?status=pending_review&page=2&pageSize=20');
    expect(withQuery('/api/v1/enterprises', { q: 'a&b 中' })).toBe('/api/v1/enterprises?q=a%26b+%E4%B8%AD');
    expect(withQuery('/api/v1/enterprises', {})).toBe('/api/v1/enterprises');
  });

  it('turns picked days into local midnights, the last day included', () => {
    const { from, to } = dayRange(['2026-02-27', '2026-02-28']);
    const start = new Date(from!);
    const end = new Date(to!);
    expect([start.getFullYear(), start.getMonth(), start.getDate(), start.getHours(), start.getMinutes()]).toEqual([2026, 1, 27, 0, 0]);
    expect([end.getFullYear(), end.getMonth(), end.getDate(), end.getHours()]).toEqual([2026, 2, 1, 0]);
    expect(dayRange(null)).toEqual({});
  });

  it('refuses what is not a day', () => {
    expect(() => dayRange(['2026-2-1', '2026-02-02'])).toThrow('not a day');
  });

  it('names a month as YYYY-MM', () => {
    expect(monthOf(new Date(2026, 0, 31))).toBe('2026-01');
  });
});
