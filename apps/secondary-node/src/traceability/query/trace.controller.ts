import { Controller, Get, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AuthGuard, CurrentPrincipal } from '../../auth/auth.guard';
import type { Principal } from '../../auth/principal';
import { DomainError } from '../../errors/domain-errors';
import { queryEnum, queryInteger, type QueryValue } from '../../http/query-params';
import { DEFAULT_TRACE_DEPTH, MAX_TRACE_DEPTH, TraceService } from './trace.service';

const PARAMETERS = ['direction', 'depth'];
const PREFIX = '/api/v1/trace/';

@ApiTags('traceability')
@ApiBearerAuth()
@Controller('api/v1/trace')
@UseGuards(AuthGuard)
export class TraceController {
  constructor(private readonly traces: TraceService) {}

  @Get('*')
  @ApiOperation({ summary: 'A product\'s event timeline and genealogy graph (back: inputs and contents; forward: outputs and containers), limited to what the caller may read' })
  @ApiParam({ name: '*', description: 'the handle, slashes included, e.g. 88.118.8/ABC123' })
  @ApiQuery({ name: 'direction', required: false, enum: ['back', 'forward'], description: 'default back' })
  @ApiQuery({ name: 'depth', required: false, description: `edges to follow, 1 to ${MAX_TRACE_DEPTH}, default ${DEFAULT_TRACE_DEPTH}` })
  trace(@CurrentPrincipal() caller: Principal | undefined, @Req() request: FastifyRequest, @Query() query: Record<string, QueryValue>) {
    const unknown = Object.keys(query ?? {}).filter((name) => !PARAMETERS.includes(name));
    if (unknown.length > 0) {
      throw new DomainError(
        'VALIDATION_FAILED',
        `unknown query parameter ${unknown.map((n) => JSON.stringify(n)).join(', ')}; expected ${PARAMETERS.join(', ')}`,
        unknown.map((name) => ({ path: name, message: 'unknown parameter' })),
      );
    }
    const direction = queryEnum('direction', query.direction, ['back', 'forward'] as const) ?? 'back';
    const depth = queryInteger('depth', query.depth, { min: 1, max: MAX_TRACE_DEPTH, fallback: DEFAULT_TRACE_DEPTH });
    return this.traces.trace(caller, handleFromUrl(request.url), direction, depth);
  }
}

/** Everything after /api/v1/trace/ is the handle, slashes included (percent-encoding is decoded). */
function handleFromUrl(url: string): string {
  const raw = url.split('?', 1)[0].slice(PREFIX.length);
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new DomainError('INVALID_HANDLE', 'the handle in the path is not valid percent-encoded UTF-8');
  }
}
