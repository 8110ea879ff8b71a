import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { FastifyReply } from 'fastify';

/** A column of an export: the key of the row object and the header cell. */
export interface CsvColumn {
  key: string;
  header: string;
}

export interface CsvExport {
  /** The download's file name (ASCII, ends in .csv). */
  filename: string;
  columns: readonly CsvColumn[];
  /** The rows, produced lazily (a page of the database at a time), so memory stays bounded whatever the table holds. */
  rows: AsyncIterable<object>;
  /** Rows matching the filter, sent as X-Total-Count when known. */
  total?: number;
  /** At most this many rows are written; when `total` is larger the reply says so (X-Export-Truncated). */
  maxRows?: number;
}

/**
 * Sends a table as CSV: `text/csv; charset=utf-8` starting with a UTF-8 BOM (so Excel reads Chinese
 * text as UTF-8, not as GBK), `Content-Disposition: attachment`, streamed row by row through
 * csv-stringify with back-pressure. X-Export-Rows says how many rows the file holds; when a cap
 * cut the export short, X-Export-Truncated: true says so (the file then holds the newest rows).
 */
export function sendCsv(reply: FastifyReply, csv: CsvExport): void {
  const cap = csv.maxRows ?? Number.POSITIVE_INFINITY;
  const exported = csv.total === undefined ? undefined : Math.min(csv.total, cap);
  const stringifier = stringify({ bom: true, header: true, columns: csv.columns.map((c) => ({ key: c.key, header: c.header })) });
  const source = Readable.from(capped(csv.rows, cap));
  // A failing page ends the download early (the client sees a cut-off file, not a wrong one).
  source.on('error', (error) => stringifier.destroy(error));
  source.pipe(stringifier);
  void reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${csv.filename}"`)
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff');
  if (csv.total !== undefined) void reply.header('x-total-count', String(csv.total));
  if (exported !== undefined) void reply.header('x-export-rows', String(exported));
  if (csv.total !== undefined && csv.total > cap) void reply.header('x-export-truncated', 'true').header('x-export-max-rows', String(cap));
  void reply.send(stringifier);
}

async function* capped(rows: AsyncIterable<object>, cap: number): AsyncGenerator<Record<string, string>> {
  let written = 0;
  for await (const row of rows) {
    if (written >= cap) return;
    written += 1;
    yield csvCells(row);
  }
}

/**
 * Cells as text: dates in ISO 8601, lists of plain values joined with spaces, objects (and lists
 * of them) as JSON, null empty. A cell a spreadsheet would run as a formula (=, +, -, @, tab, CR
 * first) gets a leading quote (OWASP CSV injection): an organisation name or a reject reason is
 * data, never a formula.
 */
export function csvCells(row: object): Record<string, string> {
  const cells: Record<string, string> = {};
  for (const [key, value] of Object.entries(row)) {
    const text = cellText(value);
    cells[key] = /^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text) ? `'${text}` : text;
  }
  return cells;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null)) return value.map(cellText).join(' ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
