import type { FastifyReply } from 'fastify';
import type { Readable } from 'node:stream';
import { csvCells, sendCsv } from './csv-reply';
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

/** What sendCsv hands to Fastify: the headers and the streamed body as bytes. */
async function captured(send: (reply: FastifyReply) => void): Promise<{ headers: Record<string, string>; body: Buffer }> {
  const headers: Record<string, string> = {};
  let stream: Readable | undefined;
  const reply = {
    header(name: string, value: string) {
      headers[name] = value;
      return reply;
    },
    send(body: Readable) {
      stream = body;
      return reply;
    },
  };
  send(reply as unknown as FastifyReply);
  const chunks: Buffer[] = [];
  for await (const chunk of stream as Readable) chunks.push(Buffer.from(chunk));
  return { headers, body: Buffer.concat(chunks) };
}

async function* numbered(count: number, read: { rows: number }): AsyncGenerator<{ n: number; name: string }> {
  for (let n = 1; n <= count; n += 1) {
    read.rows = n;
    yield { n, name: n === 2 ? '=2+2' : `行 ${n}` };
  }
}

describe('sendCsv', () => {
  const columns = [
    { key: 'n', header: 'n' },
    { key: 'name', header: 'name' },
  ];

  it('streams a BOM, the header row and every row, with the download headers', async () => {
    const read = { rows: 0 };
    const { headers, body } = await captured((reply) => sendCsv(reply, { filename: 'x.csv', columns, rows: numbered(3, read), total: 3 }));
    expect(headers).toMatchObject({ 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="x.csv"', 'cache-control': 'no-store', 'x-total-count': '3', 'x-export-rows': '3' });
    expect(headers['x-export-truncated']).toBeUndefined();
    expect([...body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(body.subarray(3).toString('utf8')).toBe("n,name\n1,行 1\n2,'=2+2\n3,行 3\n");
  });

  it('stops reading at the cap and says the file was cut', async () => {
    const read = { rows: 0 };
    const { headers, body } = await captured((reply) => sendCsv(reply, { filename: 'x.csv', columns, rows: numbered(1000, read), total: 1000, maxRows: 2 }));
    expect(headers).toMatchObject({ 'x-total-count': '1000', 'x-export-rows': '2', 'x-export-truncated': 'true', 'x-export-max-rows': '2' });
    expect(body.subarray(3).toString('utf8').trim().split('\n')).toHaveLength(3);
    // The generator was not drained past the cap (one look beyond it at most).
    expect(read.rows).toBeLessThanOrEqual(3);
  });
});
