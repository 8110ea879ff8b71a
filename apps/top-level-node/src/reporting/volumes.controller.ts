import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { invalid } from '../errors/top-level-errors';
import { AdminTokenGuard } from '../http/admin-token.guard';
import { dateParam, knownParams, nodeIdParam, oneOfParam, type QueryValue } from '../http/query';
import { ReportingRepository } from './reporting.repository';

const MAX_RANGE_MS = 366 * 86_400_000;
const MAX_ROWS = 10_000;
const PARAMETERS = ['from', 'to', 'nodeId', 'groupBy'];

/**
 * Reported volumes summed per node and UTC day (`?groupBy=prefix`: per node, day and prefix), newest
 * day first: an operator read (per-node traffic of the federation). At most 10,000 rows; `truncated`
 * says the oldest days of the range were left off (ask a shorter range or one node).
 */
@Controller('api/v1/volumes')
@UseGuards(AdminTokenGuard)
export class VolumesController {
  constructor(private readonly reports: ReportingRepository) {}

  @Get()
  async totals(@Query() query: Record<string, QueryValue>) {
    knownParams(query, PARAMETERS);
    const to = dateParam(query, 'to', new Date(Date.now() + 86_400_000));
    const from = dateParam(query, 'from', new Date(to.getTime() - 30 * 86_400_000));
    if (to.getTime() <= from.getTime()) throw invalid('to must be after from');
    if (to.getTime() - from.getTime() > MAX_RANGE_MS) throw invalid('from..to spans at most 366 days');
    const groupBy = oneOfParam(query, 'groupBy', ['day', 'prefix'] as const) ?? 'day';
    const rows = await this.reports.totals({ nodeId: nodeIdParam(query, 'nodeId'), from, to, byPrefix: groupBy === 'prefix', limit: MAX_ROWS + 1 });
    return { from: from.toISOString(), to: to.toISOString(), groupBy, items: rows.slice(0, MAX_ROWS), truncated: rows.length > MAX_ROWS };
  }
}
