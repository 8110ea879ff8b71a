import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AllowApiKey, AuthGuard, CurrentPrincipal, RequireRoles } from '../../auth/auth.guard';
import type { Principal } from '../../auth/principal';
import { DomainError } from '../../errors/domain-errors';
import { type QueryValue, querySingle } from '../../http/query-params';
import { EpcisProblemFilter } from '../query/epcis-problem.filter';
import { CaptureService } from './capture.service';

/** EPCIS 2.0 REST capture interface (openapi.yaml /capture, /capture/{captureID}). */
@ApiTags('epcis')
@ApiBearerAuth()
@Controller('epcis/capture')
@UseGuards(AuthGuard)
@UseFilters(EpcisProblemFilter)
export class CaptureController {
  constructor(private readonly capture: CaptureService) {}

  @Post()
  @HttpCode(202)
  @RequireRoles('enterprise')
  @AllowApiKey('capture-events')
  @ApiOperation({ summary: 'Capture an EPCISDocument (application/json): validated, stored all-or-nothing, 202 with Location /epcis/capture/{captureID}' })
  @ApiQuery({ name: 'prefix', required: false, description: 'The enterprise prefix owning the events; required only when the enterprise has several active prefixes' })
  async create(
    @CurrentPrincipal() caller: Principal,
    @Query() query: Record<string, QueryValue>,
    @Headers('content-type') contentType: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    if (!contentType || !/^application\/json\s*(;|$)/i.test(contentType)) throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'the body must be an EPCISDocument sent as application/json');
    const unknown = Object.keys(query ?? {}).filter((name) => name !== 'prefix');
    if (unknown.length > 0) throw new DomainError('VALIDATION_FAILED', `unknown query parameter ${unknown.join(', ')}; expected prefix`);
    const job = await this.capture.capture(caller, querySingle('prefix', query.prefix), body);
    void reply.header('location', `/epcis/capture/${job.captureID}`);
    // Another enterprise's eventID: refused as a conflict (nothing stored), the job says which events.
    if (job.errorCode === 'EVENT_ID_CONFLICT') void reply.status(409);
    return job;
  }

  @Get(':captureID')
  @RequireRoles('enterprise', 'operator')
  @AllowApiKey('capture-events')
  @ApiOperation({ summary: 'A capture job: status accepted|succeeded|failed, counts and problems' })
  job(@CurrentPrincipal() caller: Principal, @Param('captureID') captureId: string) {
    return this.capture.job(caller, captureId);
  }
}
