import Papa from 'papaparse';
import en from '../locales/en';
import zhCN from '../locales/zh-CN';
import { csvRecords, estimateCsvRows, formatBytes, importSuggestion, readLimits, readOutcome, readRefusal, refuseBeforeSending, SUGGEST_IMPORT_BYTES, SUGGEST_IMPORT_ROWS, waitIn } from './import';

const bytes = (text: string) => new TextEncoder().encode(text);

/** A CSV of `rows` data rows of the same width, as the node's import takes it. */
function csv(rows: number): string {
  return `suffix,name\n${Array.from({ length: rows }, (_, i) => `SKU-${String(i).padStart(6, '0')},Cup ${String(i).padStart(6, '0')}`).join('\n')}\n`;
}

describe('whole-file import: when to suggest it', () => {
  it('counts the rows of a file read whole, with or without a final line break, header left out', () => {
    expect(estimateCsvRows(0, bytes(''))).toBe(0);
    expect(estimateCsvRows(12, bytes('suffix,name\n'))).toBe(0);
    const text = csv(3);
    expect(estimateCsvRows(text.length, bytes(text))).toBe(3);
    expect(estimateCsvRows(text.length - 1, bytes(text.slice(0, -1)))).toBe(3);
  });

  it('scales the line breaks of the first bytes to the whole file', () => {
    const text = bytes(csv(100_000));
    const estimate = estimateCsvRows(text.length, text.subarray(0, 64 * 1024));
    expect(Math.abs(estimate - 100_000) / 100_000).toBeLessThan(0.01);
  });

  it(`suggests import past ${SUGGEST_IMPORT_ROWS} rows or ${SUGGEST_IMPORT_BYTES} bytes, and for XLSX files past 512 KB`, () => {
    // The estimate is within a percent or so: 10 % under the threshold is not suggested, 10 % over is.
    const small = bytes(csv(SUGGEST_IMPORT_ROWS * 0.9));
    expect(importSuggestion({ name: 'codes.csv', size: small.length }, small.subarray(0, 65_536))).toEqual({ suggested: false, rows: expect.any(Number) });
    const large = bytes(csv(SUGGEST_IMPORT_ROWS * 1.1));
    expect(importSuggestion({ name: 'codes.csv', size: large.length }, large.subarray(0, 65_536))).toEqual({ suggested: true, rows: expect.any(Number) });
    // Few rows, but long ones: the size decides.
    const wide = bytes(`suffix,name\n${'A,'.padEnd(1000, 'x')}\n`);
    expect(importSuggestion({ name: 'wide.csv', size: SUGGEST_IMPORT_BYTES + 1 }, wide)).toMatchObject({ suggested: true });
    expect(importSuggestion({ name: 'sheet.XLSX', size: 512 * 1024 + 1 }, bytes('PK'))).toEqual({ suggested: true });
    expect(importSuggestion({ name: 'sheet.xlsx', size: 400_000 }, bytes('PK'))).toEqual({ suggested: false });
  });
});

describe('whole-file import: the page\'s words', () => {
  it('has every message in both languages, with the same placeholders', () => {
    const placeholders = (messages: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(messages).map(([key, text]) => [key, typeof text === 'string' ? [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort() : placeholders(text as Record<string, unknown>)]));
    expect(placeholders(zhCN.upload.import)).toEqual(placeholders(en.upload.import));
  });
});

describe('whole-file import: an XLSX sheet as CSV', () => {
  it('quotes cells with commas, quotes and line breaks, and reads back to the same cells', () => {
    const rows = [['suffix', '产品名称', 'colour'], ['A-1', 'Cup, "large"', ''], ['A-2', 'two\nlines', ' spaced '], ['A-3', 'x\r\ny', '=1+1']];
    const text = csvRecords(rows);
    expect(csvRecords([rows[1]])).toBe('A-1,"Cup, ""large""",\r\n');
    expect(csvRecords([])).toBe('');
    expect(Papa.parse<string[]>(text, { skipEmptyLines: 'greedy' }).data).toEqual(rows);
  });
});

describe('whole-file import: the node\'s answer', () => {
  it('reads the counts and the digest of a stored file, and refuses an answer without them', () => {
    const body = { prefix: '88.118.8', templateVersion: 'v1', rows: 3, stored: 2, alreadyExisting: 1, sha256: 'ab'.repeat(32) };
    expect(readOutcome(JSON.stringify(body))).toEqual(body);
    expect(() => readOutcome(JSON.stringify({ ...body, stored: '2' }))).toThrow(/without its counts/);
    expect(() => readOutcome(JSON.stringify({ prefix: '88.118.8' }))).toThrow(/without its counts/);
  });

  it('names the bad rows of a refused file and counts them all, mapping rows to the sheet\'s', () => {
    const problem = {
      type: 'urn:idis:problem:validation-failed',
      status: 400,
      code: 'VALIDATION_FAILED',
      detail: '250 of 3000 rows are invalid (the first 2 are listed, rows numbered from the header, row 1); nothing was stored',
      errors: [
        { path: 'row 12', message: 'value[0]: required' },
        { path: 'row 2001', message: 'duplicates row 12 of this file' },
      ],
    };
    expect(readRefusal(400, JSON.stringify(problem), null)).toEqual({
      kind: 'invalid',
      message: problem.detail,
      badRows: 250,
      rows: 3000,
      problems: [
        { row: 12, message: 'value[0]: required' },
        { row: 2001, message: 'duplicates row 12 of this file' },
      ],
    });
    // An XLSX sheet with blank rows: record 12 is sheet row 15.
    const sheet = readRefusal(400, JSON.stringify(problem), null, (record) => record + 3);
    expect(sheet).toMatchObject({ problems: [{ row: 15 }, { row: 2004 }] });
  });

  it('takes the counts and limits from the problem\'s members when the node sends them, whatever the message says', () => {
    const problem = { status: 400, code: 'VALIDATION_FAILED', detail: 'some rows are invalid', rows: 3000, invalidRows: 250, errors: [{ path: 'row 12', message: 'value[0]: required' }] };
    expect(readRefusal(400, JSON.stringify(problem), null)).toMatchObject({ kind: 'invalid', badRows: 250, rows: 3000 });
    // A member that is not a count is not believed.
    expect(readRefusal(400, JSON.stringify({ ...problem, rows: '3000' }), null)).not.toHaveProperty('rows');
    expect(readRefusal(413, JSON.stringify({ detail: 'too large', maxRows: 20 }), null)).toEqual({ kind: 'tooLarge', message: 'too large', limit: { amount: 20, unit: 'rows' } });
    expect(readRefusal(413, JSON.stringify({ detail: 'too large', maxBytes: 1048576 }), null)).toEqual({ kind: 'tooLarge', message: 'too large', limit: { amount: 1048576, unit: 'bytes' } });
    expect(readRefusal(413, JSON.stringify({ detail: 'too large', maxBytes: -1 }), null)).toEqual({ kind: 'tooLarge', message: 'too large' });
  });

  it('refuses a body over the published byte bound before sending it, and sends when the bounds are unknown', () => {
    const limits = readLimits({ maxBytes: 1024, maxRows: 100 });
    expect(limits).toEqual({ maxBytes: 1024, maxRows: 100 });
    expect(refuseBeforeSending(1024, limits)).toBeUndefined();
    expect(refuseBeforeSending(1025, limits)).toMatchObject({ kind: 'tooLarge', notSent: true, limit: { amount: 1024, unit: 'bytes' } });
    expect(refuseBeforeSending(10 ** 9, undefined)).toBeUndefined();
    for (const bad of [null, 'x', {}, { maxBytes: '1024', maxRows: 100 }, { maxBytes: 0, maxRows: 100 }, { maxBytes: 1.5, maxRows: 100 }]) expect(readLimits(bad)).toBeUndefined();
  });

  it('keeps the header\'s problems as the node words them, with no count of rows', () => {
    const header = { status: 400, code: 'VALIDATION_FAILED', detail: 'the header row does not match the template; nothing was stored', errors: [{ path: 'header column 3', message: '"model" names no item of template v1' }, { path: 'header', message: 'no suffix column ("suffix" or "后缀")' }] };
    expect(readRefusal(400, JSON.stringify(header), null)).toEqual({
      kind: 'invalid',
      message: header.detail,
      problems: [
        { where: 'header column 3', message: '"model" names no item of template v1' },
        { where: 'header', message: 'no suffix column ("suffix" or "后缀")' },
      ],
    });
  });

  it('reads the limit of a 413, the wait of a 429, and any other refusal with its status', () => {
    expect(readRefusal(413, JSON.stringify({ detail: 'an import body holds at most 1048576 bytes (IMPORT_MAX_BYTES); nothing was stored' }), null)).toEqual({
      kind: 'tooLarge',
      message: 'an import body holds at most 1048576 bytes (IMPORT_MAX_BYTES); nothing was stored',
      limit: { amount: 1048576, unit: 'bytes' },
    });
    expect(readRefusal(413, JSON.stringify({ detail: 'an import holds at most 20 rows; nothing was stored' }), null)).toMatchObject({ limit: { amount: 20, unit: 'rows' } });
    expect(readRefusal(413, '<html>Request Entity Too Large</html>', null)).toEqual({ kind: 'tooLarge', message: 'HTTP 413' });
    expect(readRefusal(429, JSON.stringify({ detail: 'rate limit exceeded' }), ' 37 ')).toEqual({ kind: 'rateLimited', message: 'rate limit exceeded', retryAfter: 37 });
    expect(readRefusal(429, JSON.stringify({ detail: 'rate limit exceeded' }), 'Wed, 21 Oct 2026 07:28:00 GMT')).toEqual({ kind: 'rateLimited', message: 'rate limit exceeded' });
    expect(readRefusal(403, JSON.stringify({ code: 'PREFIX_NOT_OWNED', detail: 'prefix 88.118.9 is not yours' }), null)).toEqual({ kind: 'other', status: 403, message: 'prefix 88.118.9 is not yours' });
    expect(readRefusal(502, '', null)).toEqual({ kind: 'other', status: 502, message: 'HTTP 502' });
  });
});

describe('waits and byte counts', () => {
  it('words a wait in seconds, minutes or hours, rounded up', () => {
    expect(waitIn(1)).toEqual({ unit: 'seconds', count: 1 });
    expect(waitIn(120)).toEqual({ unit: 'seconds', count: 120 });
    expect(waitIn(121)).toEqual({ unit: 'minutes', count: 3 });
    expect(waitIn(7200)).toEqual({ unit: 'minutes', count: 120 });
    expect(waitIn(86_400)).toEqual({ unit: 'hours', count: 24 });
    expect(waitIn(7201)).toEqual({ unit: 'hours', count: 3 });
  });

  it('uses binary units with one decimal', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MB');
    expect(formatBytes(3 * 1024 ** 4)).toBe('3.0 TB');
  });
});
