import { applyDecorators, Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuthGuard, CurrentPrincipal, RequireRoles } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import type { QueryValue } from '../http/query-params';
import { MAX_TOP_LIMIT, refuseUnknownParameters } from './overview-query';
import { OverviewService } from './overview.service';
import { MAX_POINTS, type RawSeriesQuery, SERIES_STEPS } from './series-query';
import { StatisticsService } from './statistics.service';

const PARAMETERS = ['from', 'to', 'step', 'prefix'] as const;
const TOP_PARAMETERS = ['month', 'limit'] as const;

const SeriesQueryDoc = () =>
  applyDecorators(
  ApiQuery({ name: 'from', required: false, description: 'ISO 8601 date or date-time with offset; rounded down to the minute. Points start here. Default: `to` minus 60 points at 1m; the 24 hours up to the current one at 1h; the 30 days (of STATS_TIME_ZONE) up to today at 1d' }),
  ApiQuery({ name: 'to', required: false, description: 'ISO 8601, exclusive, rounded up to the minute. Default: the end of the current minute' }),
  ApiQuery({ name: 'step', required: false, enum: SERIES_STEPS, description: `Point width, default 1m; at most ${MAX_POINTS} points per request. Hours starting on a whole hour, and days starting at a midnight of STATS_TIME_ZONE, are read from the roll-ups` }),
  ApiQuery({ name: 'prefix', required: false, description: 'One enterprise prefix (an enterprise may give only its own). Operators may also give a foreign prefix resolved here through the top level (e.g. 88.200.5), or "-": everything else not homed on this node' }),
  ApiResponse({ status: 400, description: 'an unknown, repeated or malformed query parameter (problem+json with one entry per parameter in `errors`)' }),
  ApiResponse({ status: 403, description: 'an enterprise asking for a prefix not its own' }),
  );

/** Usage series and the overview for the operator console, and series for enterprises about their own prefixes. */
@ApiTags('statistics')
@ApiBearerAuth()
@Controller('api/v1/stats')
@UseGuards(AuthGuard)
export class StatisticsController {
  constructor(
    private readonly statistics: StatisticsService,
    private readonly overviews: OverviewService,
  ) {}

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

  @Get('doors')
  @RequireRoles('operator', 'enterprise')
  @ApiOperation({
    summary: 'Resolutions per point by front door',
    description:
      'JSON: `{from, to, step, prefix, scope, series: [{t, handleRest, snms, proxy, crossNode, handleProtocol, total}], totals: {…}}`. handleRest: GET /api/handles/…; snms: GET /identityv2/data/detail; proxy: GET /{prefix}/{suffix}; crossNode: either HTTP door called by another secondary node (X-IDIS-Via); handleProtocol: the Handle native protocol.',
  })
  @SeriesQueryDoc()
  doors(@CurrentPrincipal() caller: Principal, @Query() query: Record<string, QueryValue>) {
    return this.statistics.doors(caller, seriesParameters(query));
  }

  @Get('overview')
  @RequireRoles('operator')
  @ApiOperation({
    summary: 'The operator overview: today, cumulative, live rate, outcome shares, p99 latency, enterprises connected',
    description:
      '"Today" is the current day of STATS_TIME_ZONE (`today.from`–`today.to`). JSON: `{timeZone, generatedAt, today: {date, from, to}, resolutions: {today, cumulative, averageDailyLast30Days, perSecond, liveWindow: {from, to}}, registrations: {today, cumulative}, outcomesToday: {l1, l2, db, notFound, error, total}, outcomeSharesToday: {l1, l2, db, notFound, error} | null, cacheHitRatioToday, latency: {p99Seconds, observations, from, to}, enterprises: {connected, target}, countingSince}`. ' +
      'perSecond: resolutions of the last whole minute ÷ 60. averageDailyLast30Days: the 30 whole days before today ÷ 30. registrations: identifiers created. latency: resolutions answered by this process (replica) over [from, to), about the last five minutes (since the process started until the overview has been asked for that long). Operators only: an enterprise gets 403 (its own figures are in the series with its prefixes).',
  })
  @ApiResponse({ status: 200, description: 'the overview' })
  @ApiResponse({ status: 400, description: 'any query parameter (it takes none)' })
  @ApiResponse({ status: 403, description: 'not an operator' })
  overview(@Query() query: Record<string, QueryValue>) {
    refuseUnknownParameters(query, []);
    return this.overviews.overview();
  }

  @Get('top-prefixes')
  @RequireRoles('operator')
  @ApiOperation({
    summary: 'The enterprise prefixes of this node with the most resolutions in a month',
    description:
      'JSON: `{month, timeZone, from, to, limit, items: [{rank, prefix, enterpriseId, enterpriseName, resolutions, found, notFound}]}`; resolutions counts every outcome, found l1 + l2 + db. Prefixes without resolutions in the month are left out.',
  })
  @ApiQuery({ name: 'month', required: false, description: 'YYYY-MM, a calendar month of STATS_TIME_ZONE from 2000-01 up to the current one (default)' })
  @ApiQuery({ name: 'limit', required: false, description: `How many, 1–${MAX_TOP_LIMIT}, default 10` })
  @ApiResponse({ status: 200, description: 'the ranking' })
  @ApiResponse({ status: 400, description: 'an unknown, repeated or malformed query parameter' })
  @ApiResponse({ status: 403, description: 'not an operator' })
  topPrefixes(@Query() query: Record<string, QueryValue>) {
    refuseUnknownParameters(query, TOP_PARAMETERS);
    return this.overviews.topPrefixes({ month: query?.month, limit: query?.limit });
  }
}

/** A misspelt parameter (`?stpe=1h`) would silently give the default series; refuse it instead. */
function seriesParameters(query: Record<string, QueryValue>): RawSeriesQuery {
  refuseUnknownParameters(query, PARAMETERS);
  return { from: query.from, to: query.to, step: query.step, prefix: query.prefix };
}
