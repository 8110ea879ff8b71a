import { Batcher, restoreBatch, storeBatch } from './batches';
import type { RowResult, SendableRow } from './upload';

function rows(n: number, from = 2): SendableRow[] {
  return Array.from({ length: n }, (_, i) => ({ row: from + i, handle: `88.118.8/S${from + i}`, record: { handle: `88.118.8/S${from + i}`, templateVersion: 'v1', value: [] } }));
}

describe('batches of an upload', () => {
  it('cuts rows into batches of at most the size, numbered in order, the last one shorter', () => {
    const batcher = new Batcher(2000);
    const sizes: Array<[number, number]> = [];
    for (const row of rows(4999)) {
      const batch = batcher.add(row);
      if (batch) sizes.push([batch.index, batch.rows.length]);
    }
    const last = batcher.flush();
    if (last) sizes.push([last.index, last.rows.length]);
    expect(sizes).toEqual([[0, 2000], [1, 2000], [2, 999]]);
    expect(batcher.flush()).toBeNull();
  });

  it('cuts the same file the same way twice (what resuming relies on)', () => {
    const cut = () => {
      const b = new Batcher(3);
      const out: number[][] = [];
      for (const row of rows(7)) {
        const batch = b.add(row);
        if (batch) out.push(batch.rows.map((r) => r.row));
      }
      out.push(b.flush()!.rows.map((r) => r.row));
      return out;
    };
    expect(cut()).toEqual([[2, 3, 4], [5, 6, 7], [8]]);
    expect(cut()).toEqual(cut());
  });

  it('refuses a batch size the API would refuse', () => {
    expect(() => new Batcher(2001)).toThrow(RangeError);
    expect(() => new Batcher(0)).toThrow(RangeError);
  });

  it('stores a batch\'s results compactly and restores them for the same rows', () => {
    const sent = rows(3);
    const results: RowResult[] = [
      { row: 2, handle: sent[0].handle, status: 'ok' },
      { row: 3, handle: sent[1].handle, status: 'exists' },
      { row: 4, handle: sent[2].handle, status: 'failed', message: 'no' },
    ];
    const stored = storeBatch(results);
    expect(stored).toEqual({ statuses: 'oef', messages: { 2: 'no' } });
    expect(restoreBatch(sent, JSON.parse(JSON.stringify(stored)))).toEqual(results);
    expect(() => restoreBatch(rows(2), stored)).toThrow('the file changed');
    expect(() => restoreBatch(sent, { statuses: 'oxo', messages: {} })).toThrow('unknown status');
  });
});
