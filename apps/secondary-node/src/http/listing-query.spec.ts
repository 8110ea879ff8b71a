import { DomainError } from '../errors/domain-errors';
import { readPaging, readText, readTime, readTimeRange, refuseUnknownParameters } from './listing-query';

describe('listing query', () => {
  it('refuses unknown parameters, naming them and the expected ones', () => {
    expect(refuseUnknownParameters({ page: '1' }, ['page', 'pageSize'])).toEqual({ page: '1' });
    expect(() => refuseUnknownParameters({ pagesize: '5', sort: 'x' }, ['page', 'pageSize'])).toThrow('unknown query parameter "pagesize", "sort"; expected page, pageSize');
    expect(() => refuseUnknownParameters({ days: '5' }, [])).toThrow('unknown query parameter "days"; this operation takes none');
    expect(refuseUnknownParameters(undefined, [])).toEqual({});
  });

  it('reads paging with the defaults and the 1–200 page size', () => {
    expect(readPaging({})).toEqual({ page: 1, pageSize: 20 });
    expect(readPaging({}, 50)).toEqual({ page: 1, pageSize: 50 });
    expect(readPaging({ page: '3', pageSize: '200' })).toEqual({ page: 3, pageSize: 200 });
    for (const query of [{ pageSize: '201' }, { pageSize: '0' }, { page: '0' }, { page: '1.5' }, { page: ['1', '2'] }]) expect(() => readPaging(query)).toThrow(DomainError);
  });

  it('reads times as ISO 8601 dates or date-times with an offset, only days that exist', () => {
    expect(readTime('from', '2025-11-01')).toEqual(new Date('2025-11-01T00:00:00Z'));
    expect(readTime('from', '2025-11-01T08:00:00+08:00')).toEqual(new Date('2025-11-01T00:00:00Z'));
    expect(readTime('from', '2025-11-01T08:00:00 08:00')).toEqual(new Date('2025-11-01T00:00:00Z'));
    expect(readTime('from', '2024-02-29T00:00Z')).toEqual(new Date('2024-02-29T00:00:00Z'));
    expect(readTime('from', undefined)).toBeUndefined();
    expect(readTime('from', '')).toBeUndefined();
    for (const raw of ['2025-02-30', '2025-02-29T00:00:00Z', '2025-11-01T10:00:00', 'yesterday', '1969-12-31', '2025-13-01']) {
      expect(() => readTime('from', raw)).toThrow(/query parameter from must be an ISO 8601 date/);
    }
  });

  it('wants from before to', () => {
    expect(readTimeRange({ from: '2025-11-01', to: '2025-11-02' })).toEqual({ from: new Date('2025-11-01T00:00:00Z'), to: new Date('2025-11-02T00:00:00Z') });
    expect(() => readTimeRange({ from: '2025-11-01', to: '2025-11-01' })).toThrow('from must be before to');
  });

  it('bounds free text and refuses control characters', () => {
    expect(readText('q', '黄石')).toBe('黄石');
    expect(readText('q', '')).toBeUndefined();
    expect(readText('q', '字'.repeat(100))).toHaveLength(100);
    expect(() => readText('q', 'x'.repeat(101))).toThrow('at most 100 characters');
    expect(() => readText('q', 'a\u0000b')).toThrow('control characters');
  });
});
