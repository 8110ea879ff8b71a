import Papa from 'papaparse';
import { csvRecords } from '../logic/import';
import type { FileRow } from '../logic/upload';

/** A row of a file being read, and how much of the file has been read (0 to 1). */
export interface ReadRow extends FileRow {
  read: number;
}

/** The rows of a CSV or XLSX file, header first; blank rows skipped. */
export function fileRows(file: File): AsyncGenerator<ReadRow> {
  return /\.xlsx$/i.test(file.name) ? xlsxRows(file) : csvRows(file);
}

/**
 * A CSV file of any size, read 1 MB at a time (papaparse streams the File); the parser pauses
 * after each chunk until its rows are consumed, so a slow upload never holds more than a chunk.
 * Rows are numbered by record (the header is 1), which is the line number unless a quoted cell
 * holds a line break.
 */
async function* csvRows(file: File): AsyncGenerator<ReadRow> {
  const chunks: Array<{ rows: string[][]; cursor: number }> = [];
  let parser: Papa.Parser | undefined;
  let finished = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  Papa.parse<string[]>(file, {
    skipEmptyLines: 'greedy',
    chunkSize: 1024 * 1024,
    chunk(results, chunkParser) {
      chunkParser.pause();
      parser = chunkParser;
      chunks.push({ rows: results.data, cursor: results.meta.cursor });
      wake?.();
    },
    complete() {
      finished = true;
      wake?.();
    },
    error(error) {
      failure = error;
      wake?.();
    },
  });
  let row = 0;
  let start = 0;
  for (;;) {
    const chunk = chunks.shift();
    if (chunk) {
      // A chunk's rows share its bytes evenly: how far into the file each row is, roughly.
      const span = chunk.cursor - start;
      for (const [i, cells] of chunk.rows.entries()) yield { row: ++row, cells, read: file.size === 0 ? 1 : (start + (span * (i + 1)) / chunk.rows.length) / file.size };
      start = chunk.cursor;
      continue;
    }
    if (failure) throw failure;
    if (finished) return;
    const waiting = new Promise<void>((resolve) => (wake = resolve));
    const paused = parser;
    parser = undefined;
    paused?.resume();
    await waiting;
  }
}

/** The largest XLSX file read (exceljs holds a whole workbook in memory; larger files go as CSV). */
export const MAX_XLSX_BYTES = 50 * 1024 * 1024;

/** The first worksheet of an XLSX file, each cell as the text Excel shows; exceljs loads only when needed. */
async function* xlsxRows(file: File): AsyncGenerator<ReadRow> {
  if (file.size > MAX_XLSX_BYTES) throw new XlsxTooLarge(file.size);
  const module = (await import('exceljs')) as typeof import('exceljs') & { default?: typeof import('exceljs') };
  const Excel = module.default ?? module;
  const workbook = new Excel.Workbook();
  await workbook.xlsx.load(await file.arrayBuffer());
  const sheet = workbook.worksheets[0];
  if (!sheet) return;
  const columns = sheet.columnCount;
  for (let r = 1; r <= sheet.rowCount; r++) {
    const row = sheet.getRow(r);
    const cells: string[] = [];
    for (let c = 1; c <= columns; c++) cells.push(row.getCell(c).text ?? '');
    if (cells.every((cell) => cell.trim() === '')) continue;
    yield { row: r, cells, read: r / sheet.rowCount };
  }
}

/** Sheet rows written as one part of the CSV Blob. */
const CSV_PART_ROWS = 10_000;

/**
 * The first worksheet of an XLSX file as a CSV file (UTF-8, the cells as Excel shows them, blank
 * rows left out), for the whole-file import, and the sheet row of each CSV record: `sheetRows[i]`
 * is the row of record i + 1 (the header is record 1), so that the node's row numbers can be
 * shown as the sheet's.
 */
export async function xlsxAsCsv(file: File): Promise<{ csv: Blob; sheetRows: Uint32Array }> {
  const parts: string[] = [];
  let pending: string[][] = [];
  let sheetRows = new Uint32Array(1024);
  let records = 0;
  for await (const { row, cells } of xlsxRows(file)) {
    if (records === sheetRows.length) {
      const grown = new Uint32Array(sheetRows.length * 2);
      grown.set(sheetRows);
      sheetRows = grown;
    }
    sheetRows[records++] = row;
    pending.push(cells);
    // Fewer, larger parts: a Blob of a million one-line strings is slow to build.
    if (pending.length === CSV_PART_ROWS) {
      parts.push(csvRecords(pending));
      pending = [];
    }
  }
  parts.push(csvRecords(pending));
  return { csv: new Blob(parts, { type: 'text/csv;charset=utf-8' }), sheetRows: sheetRows.slice(0, records) };
}

export class XlsxTooLarge extends Error {
  constructor(readonly size: number) {
    super(`an XLSX file is read whole; at most ${MAX_XLSX_BYTES / 1024 / 1024} MB (save larger ones as CSV)`);
  }
}
