import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { parsePrefix } from '@idis/identifier';
import { CsvError, parse as csvParser } from 'csv-parse';
import type { Principal } from '../auth/principal';
import { EventHub } from '../events/event-hub';
import type { WrittenIdentifier } from '../events/node-events';
import { DomainError, type FieldProblem } from '../errors/domain-errors';
import { isoSeconds } from '../http/identifier-input';
import type { Refusal } from '../limits/local-tally';
import { rateLimitedError } from '../limits/refusal-reply';
import { RequestLimits } from '../limits/request-limits';
import { IDENTIFIER_IMPORT_CONFIG, type IdentifierImportConfig } from './identifier-import.config';
import { copyTextLine, IdentifierRepository } from './identifier.repository';
import { PrefixAccessService } from './prefix-access.service';
import { buildValues, checkRecord, type SnmsValue } from './snms-identifiers.service';
import { TemplateRepository, type TemplateWithItems } from './template.repository';

/** Header names of the suffix column (either language), as the console's upload reads them. */
const SUFFIX_HEADERS = ['suffix', '后缀', '标识后缀'];
/** Refused rows named in the reply at most (the count covers all of them). */
export const IMPORT_REPORTED_PROBLEMS = 100;
/** Keys per 'identifiers.written' announcement after an import (cache eviction and statistics). */
const ANNOUNCE_CHUNK = 10_000;
/** Rows per COPY chunk handed to the database connection. */
const COPY_CHUNK_ROWS = 500;
/** Characters one CSV record may hold (a quote left open would otherwise swallow the rest of the file). */
export const IMPORT_MAX_RECORD_CHARS = 65_536;

export interface ImportOutcome {
  prefix: string;
  templateVersion: string;
  /** Data rows in the file. */
  rows: number;
  /** Rows stored as new identifiers. */
  stored: number;
  /** Rows whose identifier was already registered: left as they were (a re-upload changes nothing). */
  alreadyExisting: number;
  /** SHA-256 of the request body as received (hex); the audit record keeps its digest with the counts. */
  sha256: string;
}

/** Which column holds the suffix and which holds each enabled template item. */
interface ColumnMapping {
  suffixColumn: number;
  columns: Array<{ column: number; index: number; type: string }>;
}

/**
 * Bulk registration from a CSV file under one of the caller's prefixes: the body is parsed as it
 * arrives, each row is checked with the batch API's checks (checkRecord, then buildValues against
 * the template), the good rows go into PostgreSQL with COPY, and one INSERT … SELECT stores those
 * not registered yet, in one transaction with one audit record for the whole import. A file with
 * any bad row stores nothing; its reply names the first rows refused and counts them all.
 */
@Injectable()
export class IdentifierImportService {
  constructor(
    private readonly identifiers: IdentifierRepository,
    private readonly templates: TemplateRepository,
    private readonly access: PrefixAccessService,
    private readonly events: EventHub,
    @Inject(IDENTIFIER_IMPORT_CONFIG) private readonly config: IdentifierImportConfig,
    /** The registration quota (RATE_LIMIT_REGISTRATIONS); absent only where no LimitsModule is loaded. */
    @Optional() private readonly limits?: RequestLimits,
  ) {}

  async importCsv(caller: Principal, prefixInput: string, templateVersion: string, body: Readable, declaredLength?: number): Promise<ImportOutcome> {
    const prefix = parsePrefixOrThrow(prefixInput);
    const standing = await this.access.assertWritable(caller, prefix.prefixKey, 'register');
    const template = await this.templates.find(prefix.prefixKey, templateVersion);
    if (!template) throw new DomainError('TEMPLATE_NOT_FOUND', `数据模板不存在 (no template version "${templateVersion}" for prefix ${standing.prefix})`);
    if (declaredLength !== undefined && declaredLength > this.config.maxBytes) throw tooLarge(this.config.maxBytes);

    const digest = createHash('sha256');
    const rows = parseCsv(body, this.config.maxBytes, digest);
    const counts = { rows: 0 };
    const lines = this.checkedLines(rows, standing.prefix, prefix.prefixKey, template, counts);
    // The enterprise's registration quota is charged for the new identifiers, known only once the
    // rows are in (the limits interceptor cannot count a streamed body): inside the transaction, so
    // a refusal stores nothing, and given back when the commit then fails.
    const quota = caller.enterpriseId && this.limits?.isLimited('registration') ? { key: `enterprise:${caller.enterpriseId}`, charged: 0 } : undefined;
    const imported = this.identifiers.importRows(prefix.prefixKey, lines, async (manager, keys) => {
      if (quota && keys.length > 0) {
        const refusal = await this.limits!.take('registration', quota.key, keys.length);
        if (refusal) throw new ImportQuotaRefused(refusal);
        quota.charged = keys.length;
      }
      const outcome: ImportOutcome = {
        prefix: standing.prefix,
        templateVersion,
        rows: counts.rows,
        stored: keys.length,
        alreadyExisting: counts.rows - keys.length,
        sha256: digest.digest('hex'),
      };
      await this.events.emit('audit.recorded', { manager, entry: { action: 'handle.import', target: standing.prefix, owner: prefix.prefixKey, outcome: 'ok', after: outcome } });
      return outcome;
    });
    const { inserted, result } = await imported.catch(async (error: unknown) => {
      if (quota && quota.charged > 0) await this.limits!.giveBack('registration', quota.key, quota.charged);
      throw error;
    });
    await this.announce(prefix.prefixKey, inserted);
    return result;
  }

  /**
   * The committed keys announced in chunks: each evicts them from every cache tier (a negative
   * answer cached before the import included) and is counted as registrations.
   */
  private async announce(prefixKey: string, keys: string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += ANNOUNCE_CHUNK) {
      const records: WrittenIdentifier[] = keys.slice(start, start + ANNOUNCE_CHUNK).map((handleKey) => ({ handleKey, prefixKey }));
      await this.events.emit('identifiers.written', { operation: 'create', records });
    }
  }

  /**
   * The rows of the file as COPY text, checked one by one; after the last row it throws when any
   * row was refused (so the transaction stores nothing) or when the file has no data row.
   */
  private async *checkedLines(
    rows: AsyncIterable<string[]>,
    prefix: string,
    prefixKey: string,
    template: TemplateWithItems,
    counts: { rows: number },
  ): AsyncGenerator<string> {
    const timestamp = isoSeconds(new Date());
    const problems: FieldProblem[] = [];
    let refusedRows = 0;
    let mapping: ColumnMapping | undefined;
    const firstRowOf = new Map<string, number>();
    let chunk = '';
    let inChunk = 0;
    let row = 0;
    for await (const cells of csvRecords(rows)) {
      // A line of nothing but blanks is no row (as an empty line is not).
      if (cells.every((cell) => cell.trim() === '')) continue;
      row += 1;
      if (!mapping) {
        mapping = mapHeader(cells, template);
        continue;
      }
      counts.rows += 1;
      if (counts.rows > this.config.maxRows) throw new DomainError('PAYLOAD_TOO_LARGE', `an import holds at most ${this.config.maxRows} rows; nothing was stored`, [], { maxRows: this.config.maxRows });
      const problem = rowProblem(cells, row, mapping, prefix, prefixKey, template, timestamp, firstRowOf);
      if (typeof problem === 'string') {
        refusedRows += 1;
        if (problems.length < IMPORT_REPORTED_PROBLEMS) problems.push({ path: `row ${row}`, message: problem });
        continue;
      }
      // Once a row is refused nothing will be stored: the rest is only checked, not sent.
      if (refusedRows > 0) continue;
      chunk += copyTextLine(problem);
      inChunk += 1;
      if (inChunk === COPY_CHUNK_ROWS) {
        yield chunk;
        chunk = '';
        inChunk = 0;
      }
    }
    if (!mapping) throw new DomainError('VALIDATION_FAILED', 'the file is empty: a header row naming the suffix column and the template items is expected');
    if (refusedRows > 0) {
      throw new DomainError(
        'VALIDATION_FAILED',
        `${refusedRows} of ${counts.rows} rows are invalid (the first ${problems.length} are listed, rows numbered from the header, row 1); nothing was stored`,
        problems,
        { rows: counts.rows, invalidRows: refusedRows },
      );
    }
    if (counts.rows === 0) throw new DomainError('VALIDATION_FAILED', 'the file has a header row but no data row; nothing was stored');
    if (chunk !== '') yield chunk;
  }
}

/**
 * One data row: the stored form of its identifier, or why it is refused. The record is checked as
 * the SNMS batch API checks one (checkRecord, buildValues); a suffix that an earlier row of the
 * file has (ASCII case ignored) is refused, naming that row.
 */
function rowProblem(
  cells: string[],
  row: number,
  mapping: ColumnMapping,
  prefix: string,
  prefixKey: string,
  template: TemplateWithItems,
  timestamp: string,
  firstRowOf: Map<string, number>,
): { handleKey: string; handle: string; valuesJson: string; templateVersion: string } | string {
  const suffix = cells[mapping.suffixColumn] ?? '';
  const value: SnmsValue[] = [];
  for (const { column, index, type } of mapping.columns) {
    const text = cells[column] ?? '';
    if (text !== '') value.push({ index, type, data: { format: 'string', value: text } });
  }
  const checked = checkRecord({ handle: `${prefix}/${suffix}`, templateVersion: template.version, value });
  if ('problem' in checked) return checked.problem;
  if (checked.parsed.prefixKey !== prefixKey) return `the suffix "${suffix}" does not make a handle under ${prefix}`;
  const first = firstRowOf.get(checked.parsed.key);
  if (first !== undefined) return `duplicates row ${first} of this file`;
  const built = buildValues(checked.input, template, timestamp);
  if ('problem' in built) return built.problem;
  firstRowOf.set(checked.parsed.key, row);
  return { handleKey: checked.parsed.key, handle: checked.parsed.handle, valuesJson: JSON.stringify(built.values), templateVersion: template.version };
}

/**
 * The header row: "suffix" (or 后缀 / 标识后缀) and one column per enabled template item, named by
 * its type (idType) or label (name), case and surrounding spaces ignored — the console upload's
 * convention. Empty trailing cells are ignored; an unknown, disabled or repeated column, or a
 * required item without a column, refuses the file.
 */
function mapHeader(header: string[], template: TemplateWithItems): ColumnMapping {
  const problems: FieldProblem[] = [];
  const taken = new Map<string, number>();
  const columns: ColumnMapping['columns'] = [];
  let suffixColumn = -1;
  let width = header.length;
  while (width > 0 && header[width - 1].trim() === '') width -= 1;
  const enabled = template.items.filter((item) => item.state === 1);
  const named = (name: string) => (item: TemplateWithItems['items'][number]) => item.idType.toLowerCase() === name || item.name.trim().toLowerCase() === name;
  header.slice(0, width).forEach((raw, column) => {
    const name = raw.replace(/^\uFEFF/, '').trim().toLowerCase();
    const at = `header column ${column + 1}`;
    if (name === '') return problems.push({ path: at, message: 'is empty' });
    const item = SUFFIX_HEADERS.includes(name) ? 'suffix' : enabled.find(named(name));
    if (item === undefined) {
      const disabled = template.items.some((candidate) => candidate.state !== 1 && named(name)(candidate));
      return problems.push({ path: at, message: disabled ? `"${raw.trim()}" is a disabled item of template ${template.version}` : `"${raw.trim()}" names no item of template ${template.version}` });
    }
    const key = item === 'suffix' ? 'suffix' : String(item.idIndex);
    if (taken.has(key)) return problems.push({ path: at, message: `"${raw.trim()}" repeats column ${taken.get(key)! + 1}` });
    taken.set(key, column);
    if (item === 'suffix') suffixColumn = column;
    else columns.push({ column, index: item.idIndex, type: item.idType });
  });
  if (suffixColumn < 0) problems.push({ path: 'header', message: 'no suffix column ("suffix" or "后缀")' });
  for (const item of enabled) if (item.required && !taken.has(String(item.idIndex))) problems.push({ path: 'header', message: `no column for the required item "${item.idType}"` });
  if (problems.length > 0) throw new DomainError('VALIDATION_FAILED', 'the header row does not match the template; nothing was stored', problems);
  return { suffixColumn, columns };
}

/**
 * The body parsed as CSV (RFC 4180: rows of cells, empty lines skipped; csv-parse, which reads a
 * 200,000-row file about nine times faster than papaparse's stream did), counted against `maxBytes`
 * and hashed as it arrives. Past the limit the parser fails with 413 and the rest of the body is no
 * longer read (the HTTP server discards it after the reply), so the refusal can still be sent.
 */
function parseCsv(body: Readable, maxBytes: number, digest: Hash): AsyncIterable<string[]> {
  // Any line ending, even mixed in one file (CRLF from Windows tools, LF, a lone CR).
  const parser = csvParser({ bom: true, record_delimiter: ['\r\n', '\n', '\r'], relax_column_count: true, skip_empty_lines: true, max_record_size: IMPORT_MAX_RECORD_CHARS });
  let received = 0;
  const stop = () => {
    body.off('data', onData);
    body.off('end', onEnd);
  };
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (received > maxBytes) {
      stop();
      parser.destroy(tooLarge(maxBytes));
      return;
    }
    digest.update(chunk);
    if (!parser.write(chunk)) {
      body.pause();
      parser.once('drain', () => body.resume());
    }
  };
  const onEnd = () => parser.end();
  body.on('data', onData);
  body.once('end', onEnd);
  // A client gone mid-upload: the request stream fails (ECONNRESET), so does the import, and its transaction rolls back.
  body.once('error', (error) => {
    stop();
    parser.destroy(error);
  });
  parser.once('close', stop);
  // Reported by the iteration (csvRecords), which may start after the parser failed: no 'error'
  // event must go unheard meanwhile.
  parser.on('error', () => undefined);
  return parser;
}

/** The parser's records; text that is not CSV (a quote left open, a stray quote inside a field) refuses the file, naming the line. */
async function* csvRecords(records: AsyncIterable<string[]>): AsyncGenerator<string[]> {
  try {
    yield* records;
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    throw new DomainError('VALIDATION_FAILED', `the file is not valid CSV: ${error.message}; nothing was stored`, [], { csvError: error.code });
  }
}

function tooLarge(maxBytes: number): DomainError {
  return new DomainError('PAYLOAD_TOO_LARGE', `an import body holds at most ${maxBytes} bytes (IMPORT_MAX_BYTES); nothing was stored`, [], { maxBytes });
}

function parsePrefixOrThrow(input: string): { prefix: string; prefixKey: string } {
  try {
    return parsePrefix(input);
  } catch (error) {
    throw new DomainError('VALIDATION_FAILED', `invalid prefix "${input.slice(0, 64)}": ${(error as Error).message}`);
  }
}

/** The import would pass the enterprise's registration quota: RATE_LIMITED, with the refusal for its headers. */
export class ImportQuotaRefused extends Error {
  readonly error: DomainError;

  constructor(readonly refusal: Refusal) {
    const error = rateLimitedError('registration', refusal);
    super(error.message);
    this.error = error;
  }
}
