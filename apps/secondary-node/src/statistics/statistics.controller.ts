import { applyDecorators, Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AuthGuard, CurrentPrincipal, RequireRoles } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import { DomainError } from '../errors/domain-errors';
import type { QueryValue } from '../http/query-params';
import { MAX_POINTS, type RawSeriesQuery, SERIES_STEPS } from './series-query';
import { StatisticsService } from './statistics.service';

const PARAMETERS = ['from', 'to', 'step', 'prefix'] as const;

const SeriesQueryDoc = () =>
  applyDecorators(
  ApiQuery({ name: 'from', required: false, description: 'ISO 8601 date or date-time with offset; rounded down to the minute. Points start here. Default: `to` minus 60 points at 1m, 24 at 1h, 30 at 1d' }),
  ApiQuery({ name: 'to', required: false, description: 'ISO 8601, exclusive, rounded up to the minute. Default: the end of the current minute' }),
  ApiQuery({ name: 'step', required: false, enum: SERIES_STEPS, description: `Point width, default 1m; at most ${MAX_POINTS} points per request` }),
  ApiQuery({ name: 'prefix', required: false, description: 'One enterprise prefix (an enterprise may give only its own). Operators may also give a foreign prefix resolved here through the top level (e.g. 88.200.5), or "-": everything else not homed on this node' }),
  );

/** Usage series for the operator dashboard and for enterprises about their own prefixes. */
@ApiTags('statistics')
@ApiBearerAuth()
@Controller('api/v1/stats')
@UseGuards(AuthGuard)
export class StatisticsController {
  constructor(private readonly statistics: StatisticsService) {}

  @Get('resolutions')
  @RequireRoles('operator', 'enterprise')
  @ApiOperation({ summary: 'Resolutions per point by outcome (l1, l2, db, notFound, error), totals and cache hit ratio' })
  @SeriesQueryDoc()
  resolutions(@CurrentPrincipal() caller: Principal, @Query() query: Record<string, QueryValue>) {
    return this.statistics.resolutions(caller, seriesParameters(query));
  }

  @Get('registrations')
  @RequireRoles('operator', 'enterprise')
  @ApiOperation({ summary: 'Identifiers created, updated and deleted per point, and totals' })
  @SeriesQueryDoc()
  registrations(@CurrentPrincipal() caller: Principal, @Query() query: Record<string, QueryValue>) {
    return this.statistics.registrations(caller, seriesParameters(query));
  }
}

/** A misspelt parameter (`?stpe=1h`) would silently give the default series; refuse it instead. */
function seriesParameters(query: Record<string, QueryValue>): RawSeriesQuery {
  const unknown = Object.keys(query ?? {}).filter((name) => !(PARAMETERS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `unknown query parameter ${unknown.map((n) => JSON.stringify(n)).join(', ')}; expected ${PARAMETERS.join(', ')}`,
      unknown.map((name) => ({ path: name, message: 'unknown parameter' })),
    );
  }
  return { from: query.from, to: query.to, step: query.step, prefix: query.prefix };
}
