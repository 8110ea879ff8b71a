import { csvCells } from './csv-reply';
import { keysetRows } from './keyset-rows';

describe('CSV cells', () => {
  it('writes dates in ISO 8601, lists of plain values with spaces, objects and lists of them as JSON and null as empty', () => {
    expect(csvCells({ at: new Date('2025-11-01T00:00:00Z'), prefixes: ['88.118.8', '88.118.9'], problems: [{ path: 'a', message: 'b' }], none: null, n: 3 })).toEqual({
      at: '2025-11-01T00:00:00.000Z',
      prefixes: '88.118.8 88.118.9',
      problems: '[{"path":"a","message":"b"}]',
      none: '',
      n: '3',
    });
  });

  it('defuses what a spreadsheet would run as a formula, but not a negative number', () => {
    expect(csvCells({ a: '=HYPERLINK("http://evil")', b: '+1+1', c: '@SUM(A1)', d: '-2+3', e: '\tx', f: '-5', g: '-1.25', h: 'plain = text' })).toEqual({
      a: `'=HYPERLINK("http://evil")`,
      b: `'+1+1`,
      c: `'@SUM(A1)`,
      d: `'-2+3`,
      e: `'\tx`,
      f: '-5',
      g: '-1.25',
      h: 'plain = text',
    });
  });
});

describe('keyset rows', () => {
  it('reads page after page from the cursor of the last row until a short page', async () => {
    const table = Array.from({ length: 7 }, (_, i) => i + 1);
    const asked: Array<number | undefined> = [];
    const rows: number[] = [];
    for await (const row of keysetRows(async (after: number | undefined, limit) => {
      asked.push(after);
      return table.filter((n) => after === undefined || n > after).slice(0, limit);
    }, (n) => n, 3)) rows.push(row);
    expect(rows).toEqual(table);
    expect(asked).toEqual([undefined, 3, 6]);
  });

  it('stops after an exactly full last page with one more (empty) read', async () => {
    const asked: Array<number | undefined> = [];
    const rows: number[] = [];
    for await (const row of keysetRows(async (after: number | undefined) => {
      asked.push(after);
      return after === undefined ? [1, 2] : [];
    }, (n) => n, 2)) rows.push(row);
    expect(rows).toEqual([1, 2]);
    expect(asked).toEqual([undefined, 2]);
  });
});
