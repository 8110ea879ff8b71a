import Papa from 'papaparse';
import { enabledItems, handleKey, suffixProblem, toRecord, valueProblem } from './identifier-rules';
import type { Problem, SnmsItemResult, SnmsRecord, Template, TemplateItem } from './types';

/** The SNMS batch API takes at most 2,000 records per call. */
export const MAX_BATCH_SIZE = 2000;
/** Header names of the suffix column (either language). */
const SUFFIX_HEADERS = ['suffix', '后缀', '标识后缀'];

/** Which column of the file holds the suffix and which holds each item. */
export interface ColumnMapping {
  suffixColumn: number;
  columns: Array<{ column: number; item: TemplateItem }>;
}

/**
 * Maps the header row to the template: "suffix" (or 后缀) and one column per item, named by its
 * type (idType) or its label (name), case and surrounding spaces ignored. A column that names no
 * enabled item, a column named twice, or a required item without a column is refused before
 * anything is sent.
 */
export function mapHeader(header: string[], template: Template): { mapping: ColumnMapping } | { problems: Problem[] } {
  const items = enabledItems(template);
  const disabled = template.items.filter((item) => item.state !== 1);
  const problems: Problem[] = [];
  const taken = new Map<string, number>();
  let suffixColumn = -1;
  const columns: ColumnMapping['columns'] = [];
  // Spreadsheets often carry empty cells after the last named column.
  let width = header.length;
  while (width > 0 && header[width - 1].trim() === '') width--;
  header.slice(0, width).forEach((raw, column) => {
    const name = raw.trim().toLowerCase();
    if (name === '') {
      problems.push({ code: 'emptyHeader', params: { column: column + 1 } });
      return;
    }
    const target = SUFFIX_HEADERS.includes(name) ? 'suffix' : items.find((item) => item.idType.toLowerCase() === name || item.name.trim().toLowerCase() === name);
    if (target === undefined) {
      const off = disabled.find((item) => item.idType.toLowerCase() === name || item.name.trim().toLowerCase() === name);
      problems.push({ code: off ? 'disabledColumn' : 'unknownColumn', params: { column: column + 1, name: raw.trim() } });
      return;
    }
    const key = target === 'suffix' ? 'suffix' : String(target.idIndex);
    if (taken.has(key)) {
      problems.push({ code: 'duplicateColumn', params: { column: column + 1, name: raw.trim(), first: taken.get(key)! + 1 } });
      return;
    }
    taken.set(key, column);
    if (target === 'suffix') suffixColumn = column;
    else columns.push({ column, item: target });
  });
  if (suffixColumn < 0) problems.push({ code: 'noSuffixColumn' });
  for (const item of items) if (item.required && !taken.has(String(item.idIndex))) problems.push({ code: 'missingColumn', params: { name: item.idType } });
  return problems.length > 0 ? { problems } : { mapping: { suffixColumn, columns } };
}

/** A data row of the file: its number as a spreadsheet shows it (the header is row 1) and its cells. */
export interface FileRow {
  row: number;
  cells: string[];
}

/** A row the browser refused (never sent) or a record to send. */
export type CheckedRow = { row: number; handle: string; problem: Problem } | { row: number; handle: string; record: SnmsRecord };

/**
 * Checks each data row with the node's rules, in file order; a suffix that an earlier good row of
 * the file has (ASCII case ignored, as the node compares) is refused, naming that row.
 */
export class RowChecker {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly prefix: string,
    private readonly template: Template,
    private readonly mapping: ColumnMapping,
  ) {}

  check({ row, cells }: FileRow): CheckedRow {
    const suffix = cells[this.mapping.suffixColumn] ?? '';
    const handle = `${this.prefix}/${suffix}`;
    const badSuffix = suffixProblem(this.prefix, suffix);
    if (badSuffix) return { row, handle, problem: badSuffix };
    const key = handleKey(handle);
    const first = this.seen.get(key);
    if (first !== undefined) return { row, handle, problem: { code: 'duplicateSuffix', params: { first } } };
    const values: Record<number, string> = {};
    for (const { column, item } of this.mapping.columns) {
      const value = cells[column] ?? '';
      const problem = valueProblem(item, value);
      if (problem) return { row, handle, problem: { code: 'column', params: { name: item.idType, problem: problem.code, ...problem.params } } };
      values[item.idIndex] = value;
    }
    // Only a row that will be sent claims its suffix: a later, corrected row with it may still go.
    this.seen.set(key, row);
    return { row, handle, record: toRecord(this.prefix, suffix, this.template, values) };
  }
}

/** The outcome of one row: stored, already registered (a re-upload), or refused (by the browser or the node). */
export type RowStatus = 'ok' | 'exists' | 'failed';

export interface RowResult {
  row: number;
  handle: string;
  status: RowStatus;
  /** Why it failed: a problem found in the browser, or the node's message. */
  problem?: Problem;
  message?: string;
}

export interface SendableRow {
  row: number;
  handle: string;
  record: SnmsRecord;
}

/**
 * Merges a batch reply into per-row results. The node answers one entry per record, in order;
 * HANDLE_ALREADY_EXISTS is what a re-upload of an already stored row gets: the row is reported as
 * "already registered" (not an error, nothing was changed), which makes a re-upload harmless.
 */
export function mergeBatchReply(batch: SendableRow[], reply: SnmsItemResult[]): RowResult[] {
  if (reply.length !== batch.length) throw new Error(`the node answered ${reply.length} results for a batch of ${batch.length}`);
  return batch.map((sent, i) => {
    const result = reply[i];
    if (result.code === 1) return { row: sent.row, handle: sent.handle, status: 'ok' };
    if (result.reason === 'HANDLE_ALREADY_EXISTS') return { row: sent.row, handle: sent.handle, status: 'exists' };
    return { row: sent.row, handle: sent.handle, status: 'failed', message: result.msg };
  });
}

export interface UploadCounts {
  ok: number;
  exists: number;
  failed: number;
}

export function countResults(results: Iterable<RowResult>): UploadCounts {
  const counts: UploadCounts = { ok: 0, exists: 0, failed: 0 };
  for (const result of results) counts[result.status] += 1;
  return counts;
}

/**
 * The results as a CSV file (UTF-8 with a BOM, so that Excel reads the Chinese right): row,
 * handle, status, message — `describe` words a browser-found problem in the page's language.
 */
export function resultsCsv(results: RowResult[], describe: (problem: Problem) => string, headers: { row: string; handle: string; status: string; message: string }, statusLabel: (status: RowStatus) => string): string {
  const data = results.map((r) => [r.row, r.handle, statusLabel(r.status), r.problem ? describe(r.problem) : (r.message ?? '')]);
  return `\uFEFF${Papa.unparse({ fields: [headers.row, headers.handle, headers.status, headers.message], data }, { newline: '\r\n', escapeFormulae: true })}`;
}
