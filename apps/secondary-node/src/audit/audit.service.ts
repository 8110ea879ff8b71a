import { Inject, Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { Principal } from '../auth/principal';
import { DomainError } from '../errors/domain-errors';
import type { AuditRecord } from './audit-chain';
import { AUDIT_CONFIG, type AuditConfig } from './audit.config';
import { type AuditFilter, AuditRepository } from './audit.repository';

/** Rows per page of GET /api/v1/audit at most (and per database page of an export). */
export const AUDIT_MAX_PAGE = 1000;

export interface AuditQuery {
  filter: Omit<AuditFilter, 'scope'>;
  cursor?: string;
  limit: number;
}

/** A row as the API shows it: the stored record with its time in ISO 8601. */
export type AuditEntryView = Omit<AuditRecord, 'at'> & { at: string };

export const CSV_COLUMNS: Array<keyof AuditEntryView> = ['seq', 'at', 'actor', 'actorId', 'role', 'apiKeyId', 'action', 'target', 'owner', 'outcome', 'reason', 'beforeDigest', 'afterDigest', 'requestId', 'clientIp', 'prevHash', 'hash'];

/**
 * Reading the audit log: operators see every row, an enterprise only the rows owned by it or its
 * prefixes (the scope is applied in the query, so a filter naming another owner finds nothing).
 */
@Injectable()
export class AuditService {
  constructor(
    private readonly repository: AuditRepository,
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
  ) {}

  async page(caller: Principal, query: AuditQuery): Promise<{ items: AuditEntryView[]; nextCursor: string | null }> {
    const filter = await this.scoped(caller, query.filter);
    const rows = await this.repository.page(filter, query.cursor, query.limit + 1);
    const items = rows.slice(0, query.limit).map(toView);
    // The cursor is the seq of the last row shown: the next page holds the rows below it.
    return { items, nextCursor: rows.length > query.limit ? items[items.length - 1].seq : null };
  }

  /**
   * A CSV export of at most AUDIT_EXPORT_MAX_ROWS rows (or `limit` when given), newest first,
   * streamed page by page. `nextCursor` is known before the first byte: it resumes after the last
   * exported row when more rows match.
   */
  async exportCsv(caller: Principal, query: AuditQuery & { limit?: number }): Promise<{ stream: Readable; nextCursor: string | null }> {
    const filter = await this.scoped(caller, query.filter);
    const max = Math.min(query.limit ?? this.config.exportMaxRows, this.config.exportMaxRows);
    const beyond = await this.repository.seqAfter(filter, query.cursor, max);
    const floor = beyond === undefined ? undefined : BigInt(beyond);
    const repository = this.repository;
    async function* rows(): AsyncGenerator<Record<string, string>> {
      let cursor = query.cursor;
      for (;;) {
        const page = await repository.page(filter, cursor, AUDIT_MAX_PAGE);
        for (const row of page) {
          if (floor !== undefined && BigInt(row.seq) <= floor) return;
          yield csvRow(toView(row));
        }
        if (page.length < AUDIT_MAX_PAGE) return;
        cursor = page[page.length - 1].seq;
      }
    }
    // A UTF-8 BOM first, as every CSV export of the node (http/csv-reply.ts): Excel then reads it as UTF-8.
    const csv = stringify({ bom: true, header: true, columns: CSV_COLUMNS as string[] });
    const source = Readable.from(rows());
    source.on('error', (error) => csv.destroy(error));
    source.pipe(csv);
    return { stream: csv, nextCursor: beyond === undefined ? null : (floor! + 1n).toString() };
  }

  private async scoped(caller: Principal, filter: Omit<AuditFilter, 'scope'>): Promise<AuditFilter> {
    if (caller.role === 'operator') return filter;
    if (caller.role !== 'enterprise' || !caller.enterpriseId) throw new DomainError('FORBIDDEN', 'the audit log is read by operators and, for their own rows, enterprises');
    return { ...filter, scope: await this.repository.ownersOfEnterprise(caller.enterpriseId) };
  }
}

function toView(record: AuditRecord): AuditEntryView {
  return { ...record, at: record.at.toISOString() };
}

/** Cells a spreadsheet would run as a formula start with a quote instead (OWASP CSV injection). */
function csvRow(view: AuditEntryView): Record<string, string> {
  const row: Record<string, string> = {};
  for (const column of CSV_COLUMNS) {
    const value = view[column];
    const text = value === null ? '' : String(value);
    row[column] = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  }
  return row;
}
