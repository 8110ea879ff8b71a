import { Controller, Get, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthGuard, CurrentPrincipal } from '../../auth/auth.guard';
import type { Principal } from '../../auth/principal';
import { DomainError } from '../../errors/domain-errors';
import type { QueryValue } from '../../http/query-params';
import { DEFAULT_PER_PAGE, EPC_EVENTS_PARAMETERS, EVENT_TYPES, MAX_PER_PAGE, parseEventQuery, parsePaging } from './event-query';
import type { DiscoveryResource } from './event-query.repository';
import { EpcisProblemFilter } from './epcis-problem.filter';
import { EpcisQueryService, type QueryPage } from './epcis-query.service';

const EPCIS_HEADERS = { 'GS1-EPCIS-Version': '2.0.0', 'GS1-CBV-Version': '2.0.0' };

const QueryDocs = (withAnyEpc: boolean) => (target: object, key: string | symbol, descriptor: PropertyDescriptor) => {
  const docs = [
    ApiQuery({ name: 'eventType', required: false, isArray: true, enum: EVENT_TYPES, description: 'repeatable, or a list separated by "|" or ","' }),
    ApiQuery({ name: 'GE_eventTime', required: false, description: 'ISO 8601 date-time with zone; events at or after it' }),
    ApiQuery({ name: 'LT_eventTime', required: false, description: 'ISO 8601 date-time with zone; events before it' }),
    ApiQuery({ name: 'EQ_bizStep', required: false, isArray: true, description: 'CBV word (shipping) or URI; either spelling matches both' }),
    ApiQuery({ name: 'GE_recordTime', required: false, description: 'ISO 8601 date-time with zone; events recorded at or after it' }),
    ApiQuery({ name: 'LT_recordTime', required: false, description: 'ISO 8601 date-time with zone; events recorded before it' }),
    ApiQuery({ name: 'EQ_disposition', required: false, isArray: true, description: 'CBV word (in_transit) or URI; either spelling matches both' }),
    ApiQuery({ name: 'EQ_readPoint', required: false, isArray: true, description: 'readPoint id (identifier as published); repeatable or "|"-separated' }),
    ApiQuery({ name: 'EQ_bizLocation', required: false, isArray: true, description: 'bizLocation id (identifier as published); repeatable or "|"-separated' }),
    ...(withAnyEpc ? [ApiQuery({ name: 'MATCH_anyEPC', required: false, isArray: true, description: 'identifier in any role (hdl:, Digital Link, EPC URN); repeatable or "|"-separated' })] : []),
    ApiQuery({ name: 'MATCH_epc', required: false, isArray: true, description: 'in epcList or childEPCs; an identifier or an EPC pattern (urn:epc:idpat:sgtin:0614141.107346.*)' }),
    ApiQuery({ name: 'MATCH_parentID', required: false, isArray: true, description: 'the parentID; identifier or EPC pattern' }),
    ApiQuery({ name: 'MATCH_inputEPC', required: false, isArray: true, description: 'in inputEPCList; identifier or EPC pattern' }),
    ApiQuery({ name: 'MATCH_outputEPC', required: false, isArray: true, description: 'in outputEPCList; identifier or EPC pattern' }),
    ApiQuery({ name: 'EQ_eventID', required: false, isArray: true, description: 'eventID or CBV 2.0 hash ID; repeatable or "|"-separated' }),
    ApiQuery({ name: 'EXISTS_errorDeclaration', required: false, description: 'EXISTS_<field> (no value): events that have the field, e.g. errorDeclaration, bizLocation, ilmd or an extension' }),
    ApiQuery({ name: 'orderBy', required: false, enum: ['eventTime', 'recordTime'], description: 'default: eventTime, oldest first' }),
    ApiQuery({ name: 'orderDirection', required: false, enum: ['ASC', 'DESC'], description: 'DESC by default once orderBy is given' }),
    ApiQuery({ name: 'eventCountLimit', required: false, description: 'at most this many events over all pages; needs orderBy' }),
    ApiQuery({ name: 'perPage', required: false, description: `1 to ${MAX_PER_PAGE}, default ${DEFAULT_PER_PAGE}` }),
    ApiQuery({ name: 'nextPageToken', required: false, description: 'from the Link rel="next" header of the previous page (valid 24 h, for the same query)' }),
  ];
  for (const doc of docs) doc(target, key, descriptor);
};

/**
 * EPCIS 2.0 REST query interface (reference epcis-mqtt.md §1.7): answers are EPCISQueryDocuments,
 * in (eventTime, eventID) order unless orderBy/orderDirection say otherwise, paged with perPage /
 * nextPageToken and a `Link: <…>; rel="next"` header. Unknown or malformed parameters are refused with a
 * QueryParameterException (400), never ignored.
 */
@ApiTags('epcis')
@ApiBearerAuth()
@Controller('epcis')
@UseGuards(AuthGuard)
@UseFilters(EpcisProblemFilter)
export class EpcisQueryController {
  constructor(private readonly queries: EpcisQueryService) {}

  @Get('events')
  @ApiOperation({ summary: 'SimpleEventQuery over the events the caller may read (owner enterprise, granted partners, operators)' })
  @QueryDocs(true)
  async events(@CurrentPrincipal() caller: Principal | undefined, @Query() query: Record<string, QueryValue>, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const parsed = parseEventQuery(query);
    if (!caller) throw new DomainError('AUTHENTICATION_REQUIRED', 'traceability data needs a bearer token');
    return send(reply, request, await this.queries.query(caller, parsed), parsed.perPage);
  }

  @Get('events/*')
  @ApiOperation({ summary: 'One event by its eventID (or CBV 2.0 hash ID), URL-encoded; with its errorDeclaration if one was declared' })
  @ApiParam({ name: '*', description: 'the eventID, URL-encoded (urn:uuid:… or ni:///sha-256;…?ver=CBV2.0)' })
  async event(@CurrentPrincipal() caller: Principal | undefined, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const eventId = eventIdFromUrl(request.url);
    if (!caller) throw new DomainError('AUTHENTICATION_REQUIRED', 'traceability data needs a bearer token');
    void reply.headers(EPCIS_HEADERS).type('application/json; charset=utf-8');
    return this.queries.event(caller, eventId);
  }

  @Get('eventTypes')
  @ApiOperation({ summary: 'The event types of the events the caller may read, as {"@set": [...]}' })
  eventTypes(@CurrentPrincipal() caller: Principal | undefined, @Query() query: Record<string, QueryValue>, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.discover('eventTypes', caller, query, request, reply);
  }

  @Get('bizSteps')
  @ApiOperation({ summary: 'The business steps (as published) of the events the caller may read' })
  bizSteps(@CurrentPrincipal() caller: Principal | undefined, @Query() query: Record<string, QueryValue>, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.discover('bizSteps', caller, query, request, reply);
  }

  @Get('bizLocations')
  @ApiOperation({ summary: 'The business locations of the events the caller may read' })
  bizLocations(@CurrentPrincipal() caller: Principal | undefined, @Query() query: Record<string, QueryValue>, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.discover('bizLocations', caller, query, request, reply);
  }

  @Get('readPoints')
  @ApiOperation({ summary: 'The read points of the events the caller may read' })
  readPoints(@CurrentPrincipal() caller: Principal | undefined, @Query() query: Record<string, QueryValue>, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.discover('readPoints', caller, query, request, reply);
  }

  @Get('dispositions')
  @ApiOperation({ summary: 'The dispositions (as published) of the events the caller may read' })
  dispositions(@CurrentPrincipal() caller: Principal | undefined, @Query() query: Record<string, QueryValue>, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.discover('dispositions', caller, query, request, reply);
  }

  @Get('epcs')
  @ApiOperation({ summary: 'The identifiers of objects (EPC lists, parents, children, inputs, outputs) in the events the caller may read' })
  epcs(@CurrentPrincipal() caller: Principal | undefined, @Query() query: Record<string, QueryValue>, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    return this.discover('epcs', caller, query, request, reply);
  }

  private async discover(resource: DiscoveryResource, caller: Principal | undefined, query: Record<string, QueryValue>, request: FastifyRequest, reply: FastifyReply) {
    const paging = parsePaging(query);
    if (!caller) throw new DomainError('AUTHENTICATION_REQUIRED', 'traceability data needs a bearer token');
    const page = await this.queries.discover(caller, resource, paging.perPage, paging.nextPageToken);
    void reply.headers(EPCIS_HEADERS).type('application/json; charset=utf-8');
    if (page.next) linkNext(reply, request, page.next, paging.perPage);
    return page.body;
  }

  @Get('epcs/*')
  @ApiOperation({ summary: 'GET /epcis/epcs/{epc}/events: the events mentioning an identifier (any role), URL-encoded; same filters and paging as /epcis/events' })
  @ApiParam({ name: '*', description: '{epc}/events, the identifier URL-encoded (hdl:88.118.8/ABC, a Digital Link URI or an EPC URN)' })
  @QueryDocs(false)
  async epcEvents(@CurrentPrincipal() caller: Principal | undefined, @Query() query: Record<string, QueryValue>, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const epc = epcFromUrl(request.url);
    const parsed = parseEventQuery(query, EPC_EVENTS_PARAMETERS);
    if (!caller) throw new DomainError('AUTHENTICATION_REQUIRED', 'traceability data needs a bearer token');
    return send(reply, request, await this.queries.eventsOf(caller, epc, parsed), parsed.perPage);
  }
}

function send(reply: FastifyReply, request: FastifyRequest, page: QueryPage, perPage: number) {
  void reply.headers(EPCIS_HEADERS).type('application/json; charset=utf-8');
  if (page.next) linkNext(reply, request, page.next, perPage);
  return page.document;
}

function linkNext(reply: FastifyReply, request: FastifyRequest, next: NonNullable<QueryPage['next']>, perPage: number): void {
  const [path, search = ''] = request.url.split(/\?(.*)/s, 2);
  const params = new URLSearchParams(search);
  params.delete('nextPageToken');
  params.set('perPage', String(perPage));
  params.set('nextPageToken', next.token);
  void reply.header('link', `<${path}?${params.toString()}>; rel="next"`);
  void reply.header('GS1-Next-Page-Token-Expires', next.expiresAt.toISOString());
}

function decodedRest(url: string, prefix: string, what: string): string {
  const path = url.split('?', 1)[0];
  const raw = path.slice(prefix.length);
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new DomainError('VALIDATION_FAILED', `the ${what} in the path is not valid percent-encoded UTF-8`, [{ path: what, message: 'bad percent-encoding' }]);
  }
}

/**
 * `/epcis/events/{eventID}`: clients should URL-encode the ID; an unencoded hash ID
 * (`ni:///sha-256;…?ver=CBV2.0`) is accepted too, its `?ver=` then arriving as the query string.
 */
function eventIdFromUrl(url: string): string {
  let eventId = decodedRest(url, '/epcis/events/', 'eventID');
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  if (eventId.startsWith('ni:') && !eventId.includes('?') && /^ver=[A-Za-z0-9.]+$/.test(query)) eventId = `${eventId}?${query}`;
  else if (query !== '') throw new DomainError('VALIDATION_FAILED', 'GET /epcis/events/{eventID} takes no query parameters', [{ path: 'query', message: 'unsupported' }]);
  return eventId;
}

function epcFromUrl(url: string): string {
  const path = url.split('?', 1)[0];
  if (!path.endsWith('/events') || path.length <= '/epcis/epcs//events'.length - 1) {
    throw new DomainError('NOT_FOUND', 'this node serves GET /epcis/epcs/{epc}/events only');
  }
  return decodedRest(path.slice(0, -'/events'.length), '/epcis/epcs/', 'epc');
}
