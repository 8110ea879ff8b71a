import { Controller, Get, Query } from '@nestjs/common';
import { invalid } from '../errors/top-level-errors';
import { dateParam, nodeIdParam, oneOfParam, type QueryValue } from '../http/query';
import { ReportingRepository } from './reporting.repository';

const MAX_RANGE_MS = 366 * 86_400_000;

/** Reported volumes summed per node and UTC day (`?groupBy=prefix`: per node, day and prefix). */
@Controller('api/v1/volumes')
export class VolumesController {
  constructor(private readonly reports: ReportingRepository) {}

  @Get()
  async totals(@Query() query: Record<string, QueryValue>) {
    const to = dateParam(query, 'to', new Date(Date.now() + 86_400_000));
    const from = dateParam(query, 'from', new Date(to.getTime() - 30 * 86_400_000));
    if (to.getTime() <= from.getTime()) throw invalid('to must be after from');
    if (to.getTime() - from.getTime() > MAX_RANGE_MS) throw invalid('from..to spans at most 366 days');
    const groupBy = oneOfParam(query, 'groupBy', ['day', 'prefix'] as const) ?? 'day';
    const items = await this.reports.totals({ nodeId: nodeIdParam(query, 'nodeId'), from, to, byPrefix: groupBy === 'prefix', limit: 10_000 });
    return { from: from.toISOString(), to: to.toISOString(), groupBy, items };
  }
}
