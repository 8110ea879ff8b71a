import { errorOf } from '@idis/console-kit/problem';
import Papa from 'papaparse';

/**
 * Whole-file import (POST /api/v1/prefixes/{prefix}/imports): the node checks and stores the file
 * in one transaction, all or nothing. What the page decides and reads around it, without I/O.
 */

/** A file suggests import over batches past either figure (the page's hint says both). */
export const SUGGEST_IMPORT_ROWS = 20_000;
export const SUGGEST_IMPORT_BYTES = 4 * 1024 * 1024;
/** An XLSX file is compressed: 20,000 rows of three short cells take about 380 KB. */
export const SUGGEST_IMPORT_XLSX_BYTES = 512 * 1024;
/** The first bytes of a CSV file its row count is estimated from. */
export const SUGGEST_SAMPLE_BYTES = 64 * 1024;

/**
 * About how many data rows a CSV file holds, from its size and its first bytes (line breaks in
 * the sample, scaled to the whole file); the header line is not counted. A sample that is the
 * whole file is counted exactly (quoted line breaks aside).
 */
export function estimateCsvRows(size: number, sample: Uint8Array): number {
  if (sample.length === 0) return 0;
  let lines = 0;
  for (const byte of sample) if (byte === 0x0a) lines += 1;
  if (sample[sample.length - 1] !== 0x0a) lines += 1;
  const total = sample.length >= size ? lines : Math.round((lines * size) / sample.length);
  return Math.max(0, total - 1);
}

/** Whether whole-file import is suggested for a file, and the rows a CSV file is estimated to hold. */
export function importSuggestion(file: { name: string; size: number }, sample: Uint8Array): { suggested: boolean; rows?: number } {
  if (isXlsx(file.name)) return { suggested: file.size > SUGGEST_IMPORT_XLSX_BYTES };
  const rows = estimateCsvRows(file.size, sample);
  return { suggested: rows > SUGGEST_IMPORT_ROWS || file.size > SUGGEST_IMPORT_BYTES, rows };
}

export function isXlsx(name: string): boolean {
  return /\.xlsx$/i.test(name);
}

/**
 * CSV records (RFC 4180, through papaparse: a cell with a comma, a quote or a line break is quoted,
 * its quotes doubled), each ending with CRLF. What the rows of an XLSX sheet become before they are sent.
 */
export function csvRecords(rows: readonly (readonly string[])[]): string {
  return rows.length === 0 ? '' : `${Papa.unparse(rows as string[][], { newline: '\r\n' })}\r\n`;
}

/** 201 of the import: the file was stored whole. */
export interface ImportOutcome {
  prefix: string;
  templateVersion: string;
  rows: number;
  stored: number;
  alreadyExisting: number;
  sha256: string;
}

/** A place the node named in a refused file: a data row (by its number in the file), the header, or elsewhere. */
export interface NamedProblem {
  /** The row as the user's file numbers it (the header is row 1); absent for the header. */
  row?: number;
  /** The node's path when it names no row ("header column 3", "header"). */
  where?: string;
  message: string;
}

export type ImportRefusal =
  /** 400: bad rows or header (the first ones named, `badRows` of `rows` in all), or a bad request. */
  | { kind: 'invalid'; message: string; problems: NamedProblem[]; badRows?: number; rows?: number }
  /** 413: past IMPORT_MAX_BYTES or IMPORT_MAX_ROWS. */
  | { kind: 'tooLarge'; message: string; limit?: { amount: number; unit: 'bytes' | 'rows' }; /** Refused in the browser from the node's published bound: never sent. */ notSent?: boolean }
  /** 429: the registration quota; try again after `retryAfter` seconds. */
  | { kind: 'rateLimited'; message: string; retryAfter?: number }
  /** Any other refusal (403 another's prefix, 404 no such template, 5xx …). */
  | { kind: 'other'; status: number; message: string };

/** The node's problem+json (RFC 9457), the members the page reads beside its detail (errorOf reads that). */
interface ProblemBody {
  errors?: unknown;
  /** The figures of a refusal as members of the problem (the node's import sets them). */
  rows?: unknown;
  invalidRows?: unknown;
  maxRows?: unknown;
  maxBytes?: unknown;
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined;
}

/**
 * A refused import as the page shows it, from the reply's status, body and Retry-After. Row
 * numbers the node gives ("row 12") are the file's records counted from the header; `rowOf`
 * turns them into the rows the user's file shows (an XLSX sheet's, whose blank rows were left
 * out of the CSV sent).
 */
export function readRefusal(status: number, bodyText: string, retryAfter: string | null, rowOf: (record: number) => number = (record) => record): ImportRefusal {
  let body: ProblemBody = {};
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (parsed !== null && typeof parsed === 'object') body = parsed as ProblemBody;
  } catch {
    // not JSON: a proxy's page, say
  }
  const { message } = errorOf(status, '', bodyText);
  if (status === 400) {
    const problems = Array.isArray(body.errors) ? body.errors.flatMap((problem) => namedProblem(problem, rowOf)) : [];
    const [badRows, rows] = [count(body.invalidRows), count(body.rows)];
    if (badRows !== undefined && rows !== undefined) return { kind: 'invalid', message, problems, badRows, rows };
    // A node from before the figures were members of the problem: read from its message.
    const counted = /^(\d+) of (\d+) rows are invalid/.exec(message);
    return counted ? { kind: 'invalid', message, problems, badRows: Number(counted[1]), rows: Number(counted[2]) } : { kind: 'invalid', message, problems };
  }
  if (status === 413) {
    const [maxRows, maxBytes] = [count(body.maxRows), count(body.maxBytes)];
    if (maxRows !== undefined) return { kind: 'tooLarge', message, limit: { amount: maxRows, unit: 'rows' } };
    if (maxBytes !== undefined) return { kind: 'tooLarge', message, limit: { amount: maxBytes, unit: 'bytes' } };
    const limit = /at most (\d+) (bytes|rows)/.exec(message);
    return limit ? { kind: 'tooLarge', message, limit: { amount: Number(limit[1]), unit: limit[2] as 'bytes' | 'rows' } } : { kind: 'tooLarge', message };
  }
  if (status === 429) {
    const seconds = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) : undefined;
    return seconds === undefined ? { kind: 'rateLimited', message } : { kind: 'rateLimited', message, retryAfter: seconds };
  }
  return { kind: 'other', status, message };
}

function namedProblem(problem: unknown, rowOf: (record: number) => number): NamedProblem[] {
  if (problem === null || typeof problem !== 'object') return [];
  const { path, message } = problem as { path?: unknown; message?: unknown };
  if (typeof message !== 'string') return [];
  const row = typeof path === 'string' ? /^row (\d+)$/.exec(path) : null;
  if (row) return [{ row: rowOf(Number(row[1])), message }];
  return [{ where: typeof path === 'string' ? path : '', message }];
}

/** 201's body, checked: the counts and the digest the page shows. */
export function readOutcome(bodyText: string): ImportOutcome {
  const body = JSON.parse(bodyText) as Partial<ImportOutcome>;
  const counts = [body.rows, body.stored, body.alreadyExisting];
  if (!counts.every((n) => count(n) !== undefined) || typeof body.sha256 !== 'string') throw new Error('the node answered an import without its counts');
  return body as ImportOutcome;
}

/** A wait (Retry-After, in seconds) in the unit people read it in: seconds up to 2 minutes, minutes up to 2 hours, then hours (rounded up). */
export function waitIn(seconds: number): { unit: 'seconds' | 'minutes' | 'hours'; count: number } {
  if (seconds <= 120) return { unit: 'seconds', count: seconds };
  if (seconds <= 7200) return { unit: 'minutes', count: Math.ceil(seconds / 60) };
  return { unit: 'hours', count: Math.ceil(seconds / 3600) };
}

/** A byte count for people: 1,536 → "1.5 KB", 5,242,880 → "5.0 MB" (binary units). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** The bounds the node publishes at GET /api/v1/imports/limits. */
export interface ImportLimits {
  maxBytes: number;
  maxRows: number;
}

/** The published bounds when the reply holds them as counts; else undefined (the node still enforces them). */
export function readLimits(body: unknown): ImportLimits | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const { maxBytes, maxRows } = body as Record<string, unknown>;
  const [bytes, rows] = [count(maxBytes), count(maxRows)];
  return bytes !== undefined && rows !== undefined && bytes > 0 && rows > 0 ? { maxBytes: bytes, maxRows: rows } : undefined;
}

/**
 * A body larger than the node takes is refused before it is sent: the node would refuse it too
 * (413), but only after the browser had uploaded it, or with the connection cut mid-upload.
 */
export function refuseBeforeSending(bodyBytes: number, limits: ImportLimits | undefined): ImportRefusal | undefined {
  if (limits === undefined || bodyBytes <= limits.maxBytes) return undefined;
  return { kind: 'tooLarge', message: `${bodyBytes} bytes; IMPORT_MAX_BYTES is ${limits.maxBytes}`, limit: { amount: limits.maxBytes, unit: 'bytes' }, notSent: true };
}
