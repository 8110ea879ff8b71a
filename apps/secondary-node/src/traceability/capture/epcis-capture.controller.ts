import { Body, Controller, Get, Headers, HttpCode, Options, Param, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AllowApiKey, AuthGuard, CurrentPrincipal, RequireRoles } from '../../auth/auth.guard';
import type { Principal } from '../../auth/principal';
import { type QueryValue, querySingle } from '../../http/query-params';
import { CaptureProblemFilter } from './capture-problem.filter';
import { bodyBytes, CAPTURE_VERSION_HEADERS, checkCaptureRequest, discoveryHeaders, errorBehaviourOf, negotiateReplyType, rejectUnknownParameters } from './capture-http';
import { EpcisCaptureService } from './epcis-capture.service';

/**
 * The capture interface of the EPCIS 2.0 REST binding (gs1/EPCIS "REST Bindings/openapi.yaml"
 * /capture and /capture/{captureID}). Replies are JSON (application/json, or application/ld+json
 * when the client asks for it); errors are RFC 7807 problems with EPCISException types.
 */
@ApiTags('epcis')
@ApiBearerAuth()
@Controller('epcis/capture')
@UseFilters(CaptureProblemFilter)
export class EpcisCaptureController {
  constructor(private readonly capture: EpcisCaptureService) {}

  @Options()
  @HttpCode(204)
  @ApiOperation({ summary: 'Discover the capture interface: versions, GS1-EPCIS-Capture-Limit, GS1-EPCIS-Capture-File-Size-Limit, GS1-Capture-Error-Behaviour' })
  discover(@Res({ passthrough: true }) reply: FastifyReply): void {
    void reply.headers(discoveryHeaders('OPTIONS, POST, GET', this.capture.limits));
  }

  @Post()
  @HttpCode(202)
  @UseGuards(AuthGuard)
  @RequireRoles('enterprise')
  @AllowApiKey('capture-events')
  @ApiOperation({ summary: 'Capture an EPCISDocument (application/ld+json or application/json) as a capture job: 202 with Location /epcis/capture/{captureID}' })
  @ApiHeader({ name: 'GS1-Capture-Error-Behaviour', required: false, description: 'rollback (default): all or nothing; proceed: store the valid events, report the others in the job' })
  @ApiQuery({ name: 'prefix', required: false, description: 'The enterprise prefix owning the events; required only when the enterprise has several active prefixes' })
  async create(
    @CurrentPrincipal() caller: Principal,
    @Query() query: Record<string, QueryValue>,
    @Headers() headers: Record<string, string | undefined>,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const replyType = checkCaptureRequest(headers, query);
    const behaviour = errorBehaviourOf(headers['gs1-capture-error-behaviour']);
    const job = await this.capture.captureDocument(caller, querySingle('prefix', query.prefix), body, bodyBytes(request, body), behaviour);
    void reply.headers({ ...CAPTURE_VERSION_HEADERS, 'GS1-Capture-Error-Behaviour': behaviour, location: `/epcis/capture/${job.captureID}` }).type(`${replyType}; charset=utf-8`);
    // All or nothing, and an eventID is another enterprise's: refused as a conflict; the job says which events.
    if (behaviour === 'rollback' && job.errorCode === 'EVENT_ID_CONFLICT') void reply.status(409);
    return job;
  }

  @Get()
  @UseGuards(AuthGuard)
  @RequireRoles('enterprise', 'operator')
  @AllowApiKey('capture-events')
  @ApiOperation({ summary: 'The capture jobs of the caller’s enterprise (an operator: all), newest first; perPage + nextPageToken with Link rel="next"' })
  async list(
    @CurrentPrincipal() caller: Principal,
    @Query() query: Record<string, QueryValue>,
    @Headers('accept') accept: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const replyType = negotiateReplyType(accept);
    rejectUnknownParameters(query, ['perPage', 'nextPageToken']);
    const perPageText = querySingle('perPage', query.perPage);
    const perPage = perPageText === undefined ? undefined : /^\d{1,4}$/.test(perPageText) ? Number(perPageText) : NaN;
    const page = await this.capture.list(caller, perPage, querySingle('nextPageToken', query.nextPageToken));
    void reply.headers(CAPTURE_VERSION_HEADERS).type(`${replyType}; charset=utf-8`);
    if (page.next) {
      const path = request.url.split('?', 1)[0];
      const params = new URLSearchParams({ perPage: String(page.perPage), nextPageToken: page.next.token });
      void reply.header('link', `<${path}?${params.toString()}>; rel="next"`).header('GS1-Next-Page-Token-Expires', page.next.expiresAt.toISOString());
    }
    return page.jobs;
  }

  @Options(':captureID')
  @HttpCode(204)
  @ApiOperation({ summary: 'Discover a capture job resource' })
  discoverJob(@Res({ passthrough: true }) reply: FastifyReply): void {
    void reply.headers(discoveryHeaders('OPTIONS, GET'));
  }

  @Get(':captureID')
  @UseGuards(AuthGuard)
  @RequireRoles('enterprise', 'operator')
  @AllowApiKey('capture-events')
  @ApiOperation({ summary: 'A capture job: running, success, errors (RFC 7807 with EPCISException types), counts' })
  async job(@CurrentPrincipal() caller: Principal, @Param('captureID') captureId: string, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) reply: FastifyReply) {
    const replyType = negotiateReplyType(accept);
    const job = await this.capture.job(caller, captureId);
    void reply.headers({ ...CAPTURE_VERSION_HEADERS, 'GS1-Capture-Error-Behaviour': job.captureErrorBehaviour }).type(`${replyType}; charset=utf-8`);
    return job;
  }
}
