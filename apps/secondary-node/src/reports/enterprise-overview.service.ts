import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { DomainError } from '../errors/domain-errors';
import { UsageCounter } from '../statistics/usage-counter';
import { type EnterpriseCursor, type EnterpriseFilter, EnterpriseOverviewRepository, type EnterpriseRow, type EnterpriseStatus, type PrefixRow } from './enterprise-overview.repository';
import { addUsage, type RegistrationTotals, type ResolutionTotals, zeroRegistrations, zeroResolutions } from './usage-totals';

const DAY_MS = 86_400_000;
/** Enterprises per page of an export (each page also counts their identifiers). */
const EXPORT_PAGE_ENTERPRISES = 200;
const MINUTE_MS = 60_000;

/** An enterprise as the operator's listing shows it. */
export interface EnterpriseSummary {
  id: string;
  organisation: string;
  creditCode: string;
  status: EnterpriseStatus;
  /** Its prefixes in key order, whatever their state (filing, active, disabled). */
  prefixes: Array<{ prefix: string; status: string }>;
  /** Identifiers registered under those prefixes now. */
  identifiers: number;
  createdAt: string;
}

export interface EnterpriseDetail extends EnterpriseSummary {
  contact: { name: string; phone: string; email: string };
  updatedAt: string;
  /** Usage over the last 30 days (whole minutes, up to the current one). */
  volumes: {
    from: string;
    to: string;
    /** Every resolution under its prefixes, whatever the outcome (resolutions.total). */
    resolutions30d: number;
    /** Every identifier written: created, updated and deleted (registrations.total). */
    registrations30d: number;
    resolutions: ResolutionTotals;
    registrations: RegistrationTotals;
  };
}

/** A row of the CSV export of the listing: the summary with contact columns, prefixes as text. */
export interface EnterpriseCsvRow {
  id: string;
  organisation: string;
  creditCode: string;
  status: string;
  prefixes: string;
  identifiers: number;
  contactName: string;
  contactPhone: string;
  contactEmail: string;
  createdAt: string;
}

/**
 * The operator's enterprise pages: the listing (with prefixes and identifier counts) and one
 * enterprise's detail with its 30-day volumes. An enterprise may read its own detail; any other
 * enterprise id is answered exactly as an unknown one (404), so a caller learns nothing of others.
 */
@Injectable()
export class EnterpriseOverviewService {
  constructor(
    private readonly repository: EnterpriseOverviewRepository,
    private readonly counter: UsageCounter,
  ) {}

  async list(filter: EnterpriseFilter, page: number, pageSize: number): Promise<{ items: EnterpriseSummary[]; total: number; page: number; pageSize: number }> {
    const { rows, total } = await this.repository.page(filter, (page - 1) * pageSize, pageSize);
    return { items: await this.summaries(rows), total, page, pageSize };
  }

  /** Every matching enterprise, a page of the database at a time (with its prefixes and counts), for the CSV export. */
  async exportList(filter: EnterpriseFilter): Promise<{ total: number; rows: AsyncIterable<EnterpriseCsvRow> }> {
    const total = await this.repository.count(filter);
    const repository = this.repository;
    const summaries = (rows: EnterpriseRow[]) => this.summaries(rows);
    async function* rows(): AsyncGenerator<EnterpriseCsvRow> {
      let after: EnterpriseCursor | undefined;
      for (;;) {
        const page = await repository.after(filter, after, EXPORT_PAGE_ENTERPRISES);
        const views = await summaries(page);
        for (const [i, view] of views.entries()) yield csvRow(view, page[i]);
        if (page.length < EXPORT_PAGE_ENTERPRISES) return;
        after = page[page.length - 1].cursor;
      }
    }
    return { total, rows: rows() };
  }

  async detail(caller: Principal, id: string): Promise<EnterpriseDetail> {
    // Before any read: an enterprise asking for another's id gets the reply of an unknown id.
    if (caller.role !== 'operator' && caller.enterpriseId !== id) throw notFound(id);
    const row = await this.repository.find(id);
    if (!row) throw notFound(id);
    const [summary] = await this.summaries([row]);
    const to = new Date(Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
    const from = new Date(to.getTime() - 30 * DAY_MS);
    await this.flushOwnCounts();
    const resolutions = zeroResolutions();
    const registrations = zeroRegistrations();
    const prefixKeys = (await this.repository.prefixesOf([id])).map((p) => p.prefixKey);
    addUsage(await this.repository.usageOfPrefixes(prefixKeys, from, to), resolutions, registrations);
    return {
      ...summary,
      contact: { name: row.contactName, phone: row.contactPhone, email: row.contactEmail },
      updatedAt: row.updatedAt.toISOString(),
      volumes: {
        from: from.toISOString(),
        to: to.toISOString(),
        resolutions30d: resolutions.total,
        registrations30d: registrations.total,
        resolutions,
        registrations,
      },
    };
  }

  private async summaries(rows: EnterpriseRow[]): Promise<EnterpriseSummary[]> {
    const ids = rows.map((row) => row.id);
    const [prefixes, counts] = await Promise.all([this.repository.prefixesOf(ids), this.repository.identifierCounts(ids)]);
    const byEnterprise = new Map<string, PrefixRow[]>();
    for (const prefix of prefixes) byEnterprise.set(prefix.enterpriseId, [...(byEnterprise.get(prefix.enterpriseId) ?? []), prefix]);
    return rows.map((row) => ({
      id: row.id,
      organisation: row.orgName,
      creditCode: row.creditCode,
      status: row.status,
      prefixes: (byEnterprise.get(row.id) ?? []).map((p) => ({ prefix: p.prefix, status: p.status })),
      identifiers: counts.get(row.id) ?? 0,
      createdAt: row.createdAt.toISOString(),
    }));
  }

  /** This replica's last seconds of counts go in first, as GET /api/v1/stats does. */
  private async flushOwnCounts(): Promise<void> {
    try {
      await this.counter.flush();
    } catch {
      // They stay queued for the next flush; the answer then lacks only this replica's last seconds.
    }
  }
}

function csvRow(view: EnterpriseSummary, row: EnterpriseRow): EnterpriseCsvRow {
  return {
    id: view.id,
    organisation: view.organisation,
    creditCode: view.creditCode,
    status: view.status,
    prefixes: view.prefixes.map((p) => p.prefix).join(' '),
    identifiers: view.identifiers,
    contactName: row.contactName,
    contactPhone: row.contactPhone,
    contactEmail: row.contactEmail,
    createdAt: view.createdAt,
  };
}

function notFound(id: string): DomainError {
  return new DomainError('ENTERPRISE_NOT_FOUND', `enterprise ${id} not found`);
}
