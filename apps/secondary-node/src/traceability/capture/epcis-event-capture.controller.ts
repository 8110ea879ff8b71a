import { Body, Controller, Headers, HttpCode, Options, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AllowApiKey, AuthGuard, CurrentPrincipal, RequireRoles } from '../../auth/auth.guard';
import type { Principal } from '../../auth/principal';
import { DomainError } from '../../errors/domain-errors';
import { type QueryValue, querySingle } from '../../http/query-params';
import { CaptureProblemFilter } from './capture-problem.filter';
import { bodyBytes, CAPTURE_VERSION_HEADERS, checkCaptureRequest, discoveryHeaders } from './capture-http';
import { EpcisCaptureService } from './epcis-capture.service';

/** Where a captured event is read: GET /epcis/events/{eventID}, the ID percent-encoded. */
export function eventLocation(eventId: string): string {
  return `/epcis/events/${encodeURIComponent(eventId)}`;
}

/**
 * The synchronous single-event capture of the EPCIS 2.0 REST binding (POST /events): 201 with the
 * event as stored and Location of its resource; an event captured before is a 409. GET
 * /epcis/events (the query) lives in traceability/query.
 */
@ApiTags('epcis')
@ApiBearerAuth()
@Controller('epcis/events')
@UseFilters(CaptureProblemFilter)
export class EpcisEventCaptureController {
  constructor(private readonly capture: EpcisCaptureService) {}

  @Options()
  @HttpCode(204)
  @ApiOperation({ summary: 'Discover the events resource: versions and the capture limits of POST' })
  discover(@Res({ passthrough: true }) reply: FastifyReply): void {
    void reply.headers(discoveryHeaders('OPTIONS, GET, POST'));
  }

  @Post()
  @HttpCode(201)
  @UseGuards(AuthGuard)
  @RequireRoles('enterprise')
  @AllowApiKey('capture-events')
  @ApiOperation({ summary: 'Capture one EPCIS event (application/ld+json or application/json): 201 with Location /epcis/events/{eventID}; 409 if captured before' })
  @ApiQuery({ name: 'prefix', required: false, description: 'The enterprise prefix owning the event; required only when the enterprise has several active prefixes' })
  async create(
    @CurrentPrincipal() caller: Principal,
    @Query() query: Record<string, QueryValue>,
    @Headers() headers: Record<string, string | undefined>,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const replyType = checkCaptureRequest(headers, query);
    const captured = await this.capture.captureEvent(caller, querySingle('prefix', query.prefix), body, bodyBytes(request, body));
    void reply.headers({ ...CAPTURE_VERSION_HEADERS, location: eventLocation(captured.eventId) }).type(`${replyType}; charset=utf-8`);
    if (captured.outcome === 'duplicate') {
      // The binding's 409: the event exists (Location names it); nothing was changed.
      throw new DomainError('CONFLICT', `the event ${captured.eventId} was captured before (the same eventID, or the same content when the event has no eventID)`, [
        { path: '$.eventID', message: 'already captured' },
      ]);
    }
    return captured.document;
  }
}
