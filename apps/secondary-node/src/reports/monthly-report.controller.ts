import { Controller, Get, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuthGuard, RequireRoles } from '../auth/auth.guard';
import { sendCsv } from '../http/csv-reply';
import { type Paging, readPaging, refuseUnknownParameters } from '../http/listing-query';
import { queryEnum, type QueryValue } from '../http/query-params';
import { type MonthlyReport, MonthlyReportService, REPORT_COLUMNS, reportCsvRows } from './monthly-report.service';
import { monthlyReportWorkbook, XLSX_CONTENT_TYPE } from './monthly-report.xlsx';
import { readReportMonth } from './report-month';

const PARAMETERS = ['month', 'format', 'page', 'pageSize'] as const;
const FORMATS = ['json', 'csv', 'xlsx'] as const;

@ApiTags('reports')
@ApiBearerAuth()
@Controller('api/v1/reports')
@UseGuards(AuthGuard)
export class MonthlyReportController {
  constructor(private readonly reports: MonthlyReportService) {}

  @Get('monthly')
  @RequireRoles('operator')
  @ApiOperation({
    summary: 'Monthly report (operator): per enterprise, identifiers registered, updated and deleted and resolutions by outcome in one calendar month',
    description:
      'The month is a calendar month of STATS_TIME_ZONE (default Asia/Shanghai), from 2000-01 up to the current month (which is partial: `complete: false`). One row per enterprise that existed before the month ended, by organisation name. JSON: `{month, timeZone, from, to, complete, items: [{enterpriseId, organisation, creditCode, status, prefixes: [..], identifiers: {registered, updated, deleted}, resolutions: {l1, l2, db, notFound, error, total}}], totals: {identifiers, resolutions}}`; `csv` and `xlsx` are downloads of the same rows (columns: ' +
      REPORT_COLUMNS.map((c) => c.header).join(', ') +
      ').',
  })
  @ApiQuery({ name: 'month', required: true, description: 'YYYY-MM' })
  @ApiQuery({ name: 'format', required: false, enum: FORMATS, description: 'default json' })
  @ApiQuery({ name: 'page', required: false, description: 'JSON only: 1-based page of `items` (with either page or pageSize the reply adds total, page and pageSize; totals stay those of the whole month). csv and xlsx always hold every row' })
  @ApiQuery({ name: 'pageSize', required: false, description: 'JSON only: 1 to 200, default 20 when page is given' })
  @ApiProduces('application/json', 'text/csv', XLSX_CONTENT_TYPE)
  @ApiResponse({
    status: 200,
    description: 'the report as JSON, or a CSV (UTF-8 with a BOM) or XLSX download (Content-Disposition: attachment)',
    content: {
      'application/json': { schema: { type: 'object' } },
      'text/csv': { schema: { type: 'string' } },
      [XLSX_CONTENT_TYPE]: { schema: { type: 'string', format: 'binary' } },
    },
  })
  @ApiResponse({ status: 400, description: 'month missing, malformed or in the future; an unknown parameter' })
  @ApiResponse({ status: 403, description: 'not an operator' })
  async monthly(@Query() rawQuery: Record<string, QueryValue>, @Res() reply: FastifyReply): Promise<void> {
    const query = refuseUnknownParameters(rawQuery, PARAMETERS);
    const format = queryEnum('format', query.format, FORMATS) ?? 'json';
    // checked before the month is summed, whatever the format (a malformed page is refused, not ignored)
    const paging = query.page === undefined && query.pageSize === undefined ? undefined : readPaging(query);
    const month = readReportMonth(query.month, this.reports.timeZone, new Date());
    const report = await this.reports.report(month);
    const filename = `idis-monthly-report-${month}`;
    if (format === 'csv') {
      sendCsv(reply, { filename: `${filename}.csv`, columns: REPORT_COLUMNS.map((c) => ({ key: c.key, header: c.header })), rows: reportCsvRows(report), total: report.items.length });
      return;
    }
    if (format === 'xlsx') {
      void reply
        .header('content-type', XLSX_CONTENT_TYPE)
        .header('content-disposition', `attachment; filename="${filename}.xlsx"`)
        .header('cache-control', 'no-store')
        .header('x-total-count', String(report.items.length))
        .send(await monthlyReportWorkbook(report));
      return;
    }
    void reply.header('cache-control', 'no-store').send(paged(report, paging));
  }
}

/**
 * The JSON report, or one page of its rows (the console's table pages on the server like every
 * other) when the caller asks for one; without paging parameters the reply is the whole month, as before.
 */
function paged(report: MonthlyReport, paging: Paging | undefined) {
  if (paging === undefined) return report;
  const { page, pageSize } = paging;
  const start = (page - 1) * pageSize;
  return { ...report, items: report.items.slice(start, start + pageSize), total: report.items.length, page, pageSize };
}
