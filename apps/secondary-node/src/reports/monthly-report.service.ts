import { Inject, Injectable } from '@nestjs/common';
import { UsageCounter } from '../statistics/usage-counter';
import { EnterpriseOverviewRepository, type EnterpriseStatus, type UsageSum } from './enterprise-overview.repository';
import { monthIn } from './report-month';
import { STATISTICS_CONFIG, type StatisticsConfig } from '../statistics/statistics.config';
import { addUsage, type ResolutionTotals, zeroRegistrations, zeroResolutions } from './usage-totals';

export interface IdentifierWrites {
  registered: number;
  updated: number;
  deleted: number;
}

/** One enterprise's month. */
export interface MonthlyReportRow {
  enterpriseId: string;
  organisation: string;
  creditCode: string;
  status: EnterpriseStatus;
  prefixes: string[];
  identifiers: IdentifierWrites;
  resolutions: ResolutionTotals;
}

export interface MonthlyReport {
  month: string;
  timeZone: string;
  /** The month's first instant and the next month's, in the report time zone. */
  from: string;
  to: string;
  /** False for the current month: its counts grow until it ends. */
  complete: boolean;
  /** Every enterprise that existed before the month ended, by organisation name. */
  items: MonthlyReportRow[];
  totals: { identifiers: IdentifierWrites; resolutions: ResolutionTotals };
}

/**
 * The monthly report (月报): per enterprise, the identifiers registered, updated and deleted and
 * the resolutions by outcome in one calendar month of STATS_TIME_ZONE, summed from the
 * statistics' per-minute counts of its prefixes. One row per enterprise, also when it did nothing.
 */
@Injectable()
export class MonthlyReportService {
  constructor(
    private readonly repository: EnterpriseOverviewRepository,
    private readonly counter: UsageCounter,
    @Inject(STATISTICS_CONFIG) private readonly config: StatisticsConfig,
  ) {}

  get timeZone(): string {
    return this.config.timeZone;
  }

  async report(month: string): Promise<MonthlyReport> {
    const timeZone = this.config.timeZone;
    const { from, to } = await this.repository.monthBounds(month, timeZone);
    const complete = month < monthIn(timeZone, new Date());
    if (!complete) await this.flushOwnCounts();
    const enterprises = await this.repository.existingBefore(to);
    const ids = enterprises.map((e) => e.id);
    const [prefixes, usage] = await Promise.all([this.repository.prefixesOf(ids), this.repository.usagePerEnterprise(from, to)]);
    const usageOf = new Map<string, UsageSum[]>();
    for (const sum of usage) usageOf.set(sum.enterpriseId, [...(usageOf.get(sum.enterpriseId) ?? []), sum]);
    const totals = { identifiers: zeroWrites(), resolutions: zeroResolutions() };
    const items = enterprises.map((enterprise): MonthlyReportRow => {
      const resolutions = zeroResolutions();
      const registrations = zeroRegistrations();
      addUsage(usageOf.get(enterprise.id) ?? [], resolutions, registrations);
      const identifiers = { registered: registrations.create, updated: registrations.update, deleted: registrations.delete };
      addInto(totals.identifiers, identifiers);
      addInto(totals.resolutions, resolutions);
      return {
        enterpriseId: enterprise.id,
        organisation: enterprise.orgName,
        creditCode: enterprise.creditCode,
        status: enterprise.status,
        prefixes: prefixes.filter((p) => p.enterpriseId === enterprise.id).map((p) => p.prefix),
        identifiers,
        resolutions,
      };
    });
    return { month, timeZone, from: from.toISOString(), to: to.toISOString(), complete, items, totals };
  }

  private async flushOwnCounts(): Promise<void> {
    try {
      await this.counter.flush();
    } catch {
      // They stay queued for the next flush; the report then lacks only this replica's last seconds.
    }
  }
}

function zeroWrites(): IdentifierWrites {
  return { registered: 0, updated: 0, deleted: 0 };
}

function addInto<T extends object>(total: T, part: T): void {
  for (const key of Object.keys(part) as Array<keyof T>) (total[key] as number) += part[key] as number;
}

/** The report's table: one column per figure, the same in CSV and XLSX. */
export interface ReportColumn {
  key: string;
  header: string;
  /** Characters, for the spreadsheet. */
  width: number;
  numeric: boolean;
  value(row: MonthlyReportRow): string | number;
}

export const REPORT_COLUMNS: readonly ReportColumn[] = [
  text('organisation', 'Organisation', 32, (r) => r.organisation),
  text('creditCode', 'Credit code', 22, (r) => r.creditCode),
  text('status', 'Status', 11, (r) => r.status),
  text('prefixes', 'Prefixes', 20, (r) => r.prefixes.join(' ')),
  count('registered', 'Identifiers registered', (r) => r.identifiers.registered),
  count('updated', 'Identifiers updated', (r) => r.identifiers.updated),
  count('deleted', 'Identifiers deleted', (r) => r.identifiers.deleted),
  count('l1', 'Resolutions L1 cache', (r) => r.resolutions.l1),
  count('l2', 'Resolutions L2 cache', (r) => r.resolutions.l2),
  count('db', 'Resolutions database', (r) => r.resolutions.db),
  count('notFound', 'Resolutions not found', (r) => r.resolutions.notFound),
  count('error', 'Resolutions error', (r) => r.resolutions.error),
  count('total', 'Resolutions total', (r) => r.resolutions.total),
  text('enterpriseId', 'Enterprise id', 38, (r) => r.enterpriseId),
];

function text(key: string, header: string, width: number, value: (row: MonthlyReportRow) => string): ReportColumn {
  return { key, header, width, numeric: false, value };
}

function count(key: string, header: string, value: (row: MonthlyReportRow) => number): ReportColumn {
  return { key, header, width: Math.max(12, header.length + 2), numeric: true, value };
}

/** The report's rows as CSV records keyed by column. */
export async function* reportCsvRows(report: MonthlyReport): AsyncGenerator<Record<string, string | number>> {
  for (const row of report.items) yield Object.fromEntries(REPORT_COLUMNS.map((c) => [c.key, c.value(row)]));
}
