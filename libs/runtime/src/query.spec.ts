import { type QueryRefusal, QueryReader, queryList } from './query';

class Refused extends Error {
  constructor(readonly refusal: QueryRefusal) {
    super(refusal.reason);
  }
}

const reader = new QueryReader({ refuse: (refusal) => new Refused(refusal) });

function refusalOf(read: () => unknown): QueryRefusal | undefined {
  try {
    read();
    return undefined;
  } catch (error) {
    if (error instanceof Refused) return error.refusal;
    throw error;
  }
}

describe('queryList', () => {
  it('gives every value in order, none when absent', () => {
    expect(queryList(undefined)).toEqual([]);
    expect(queryList('1')).toEqual(['1']);
    expect(queryList(['1', '2'])).toEqual(['1', '2']);
  });
});

describe('QueryReader', () => {
  it('reads a single value, keeps an empty one, and refuses a repeated one with the app error', () => {
    expect(reader.single('q', undefined)).toBeUndefined();
    expect(reader.single('q', '')).toBe('');
    expect(reader.single('q', 'x')).toBe('x');
    expect(reader.single('q', ['x'])).toBe('x');
    expect(refusalOf(() => reader.single('q', ['x', 'y', 'z']))).toEqual({ reason: 'repeated', name: 'q', count: 3 });
  });

  it('reads integers within bounds, the fallback when absent or empty', () => {
    const bounds = { min: 1, max: 200, fallback: 50 };
    expect(reader.integer('pageSize', undefined, bounds)).toBe(50);
    expect(reader.integer('pageSize', '', bounds)).toBe(50);
    expect(reader.integer('pageSize', '200', bounds)).toBe(200);
    expect(reader.integer('pageSize', '007', bounds)).toBe(7);
    for (const raw of ['0', '201', 'abc', '1.5', '0x10', ' 5', '-1', '12345678901']) {
      expect(refusalOf(() => reader.integer('pageSize', raw, bounds))).toEqual({ reason: 'integer', name: 'pageSize', raw, min: 1, max: 200 });
    }
    expect(reader.integer('offset', '-3', { min: -5, max: 5, fallback: 0 })).toBe(-3);
    expect(refusalOf(() => reader.integer('page', ['1', '2'], bounds))).toEqual({ reason: 'repeated', name: 'page', count: 2 });
  });

  it('takes the integer syntax of the app when given', () => {
    const unsigned = new QueryReader({ refuse: (refusal) => new Refused(refusal), integerSyntax: /^\d{1,9}$/ });
    expect(unsigned.integer('page', '000000001', { min: 1, max: 9, fallback: 1 })).toBe(1);
    expect(refusalOf(() => unsigned.integer('page', '0000000001', { min: 1, max: 9, fallback: 1 }))).toMatchObject({ reason: 'integer' });
  });

  it('reads Handle.Net style booleans: a bare flag is true', () => {
    expect(reader.boolean('overwrite', undefined)).toBeUndefined();
    expect(['', 'true', '1'].map((raw) => reader.boolean('overwrite', raw))).toEqual([true, true, true]);
    expect(['false', '0'].map((raw) => reader.boolean('overwrite', raw))).toEqual([false, false]);
    expect(refusalOf(() => reader.boolean('overwrite', 'yes'))).toEqual({ reason: 'boolean', name: 'overwrite', raw: 'yes' });
  });

  it('reads one of the allowed values, undefined when absent or empty', () => {
    const allowed = ['day', 'prefix'] as const;
    expect(reader.oneOf('groupBy', undefined, allowed)).toBeUndefined();
    expect(reader.oneOf('groupBy', '', allowed)).toBeUndefined();
    expect(reader.oneOf('groupBy', 'prefix', allowed)).toBe('prefix');
    expect(refusalOf(() => reader.oneOf('groupBy', 'Day', allowed))).toEqual({ reason: 'one-of', name: 'groupBy', raw: 'Day', allowed });
  });
});
