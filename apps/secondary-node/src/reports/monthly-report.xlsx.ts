import { type MonthlyReport, REPORT_COLUMNS } from './monthly-report.service';

export const XLSX_CONTENT_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * The monthly report as an Excel workbook (exceljs): one sheet named after the month, a bold
 * header row kept in view when scrolling, column widths that fit the figures, and every count a
 * number cell (so the operator can sum and chart it), never text. exceljs is loaded on first use:
 * most processes never write a workbook and need not pay its start-up.
 */
export async function monthlyReportWorkbook(report: MonthlyReport): Promise<Buffer> {
  const { Workbook } = await import('exceljs');
  const workbook = new Workbook();
  workbook.creator = 'IDIS secondary node';
  workbook.created = new Date();
  const sheet = workbook.addWorksheet(report.month, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = REPORT_COLUMNS.map((column) => ({
    key: column.key,
    header: column.header,
    width: column.width,
    style: column.numeric ? { numFmt: '#,##0' } : {},
  }));
  sheet.getRow(1).font = { bold: true };
  sheet.getRow(1).alignment = { vertical: 'middle', wrapText: true };
  for (const row of report.items) sheet.addRow(Object.fromEntries(REPORT_COLUMNS.map((column) => [column.key, column.value(row)])));
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: REPORT_COLUMNS.length } };
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
