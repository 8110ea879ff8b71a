import type { MonthlyReport } from './types';

/** The monthly report table's last row: the month's totals under each column (first column: its label). */
export function reportSummary(report: MonthlyReport | null, locale: string, label: string): string[] {
  if (!report) return [];
  const format = new Intl.NumberFormat(locale);
  const { identifiers, resolutions } = report.totals;
  return [label, identifiers.registered, identifiers.updated, identifiers.deleted, resolutions.l1, resolutions.l2, resolutions.db, resolutions.notFound, resolutions.error, resolutions.total].map((value) =>
    typeof value === 'number' ? format.format(value) : value,
  );
}
