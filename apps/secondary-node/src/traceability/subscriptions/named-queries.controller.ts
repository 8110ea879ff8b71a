import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthGuard, CurrentPrincipal } from '../../auth/auth.guard';
import type { Principal } from '../../auth/principal';
import { DomainError } from '../../errors/domain-errors';
import { type QueryValue, querySingle } from '../../http/query-params';
import { EpcisProblemFilter } from '../query/epcis-problem.filter';
import { DEFAULT_PER_PAGE, MAX_PER_PAGE, parsePaging } from '../query/event-query';
import { NamedQueriesService, SCHEDULE_FIELDS } from './named-queries.service';

const EPCIS_HEADERS = { 'GS1-EPCIS-Version': '2.0.0', 'GS1-CBV-Version': '2.0.0' };

/**
 * EPCIS 2.0 REST binding `/queries` (named queries) and `/queries/{name}/subscriptions`
 * (webhooks); the WebSocket subscription on `/queries/{name}/events` is StreamServer's. A named
 * query belongs to the enterprise (or, for partners and operators, the account) that created it;
 * any other caller is told it does not exist (404).
 */
@ApiTags('epcis')
@ApiBearerAuth()
@Controller('epcis/queries')
@UseGuards(AuthGuard)
@UseFilters(EpcisProblemFilter)
export class NamedQueriesController {
  constructor(private readonly queries: NamedQueriesService) {}

  @Post()
  @ApiOperation({ summary: 'Creates a named query {name, query: {SimpleEventQuery parameters}}; 201 with Location /epcis/queries/{name}' })
  @ApiBody({ schema: { example: { name: 'myShipments', query: { eventType: ['ObjectEvent'], EQ_bizStep: ['shipping', 'receiving'] } } } })
  async create(@CurrentPrincipal() caller: Principal | undefined, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const created = await this.queries.create(required(caller), body);
    void reply.status(201).headers(EPCIS_HEADERS).header('location', `/epcis/queries/${encodeURIComponent(created.name)}`);
    return created;
  }

  @Get()
  @ApiOperation({ summary: 'The caller’s named queries, by name, paged (perPage, nextPageToken, Link rel="next")' })
  @ApiQuery({ name: 'perPage', required: false, description: `1 to ${MAX_PER_PAGE}, default ${DEFAULT_PER_PAGE}` })
  @ApiQuery({ name: 'nextPageToken', required: false })
  async list(@CurrentPrincipal() caller: Principal | undefined, @Query() query: Record<string, QueryValue>, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const unknown = Object.keys(query).filter((key) => key !== 'perPage' && key !== 'nextPageToken');
    if (unknown.length > 0) throw new DomainError('VALIDATION_FAILED', `unsupported query parameter ${JSON.stringify(unknown[0])}; GET /epcis/queries takes perPage and nextPageToken`);
    const paging = parsePaging(query);
    const page = await this.queries.list(required(caller), paging.nextPageToken === null ? null : listPosition(paging.nextPageToken), paging.perPage);
    void reply.headers(EPCIS_HEADERS);
    if (page.last !== null) {
      const token = Buffer.from(JSON.stringify({ after: page.last })).toString('base64url');
      void reply.header('link', `<${request.url.split('?', 1)[0]}?perPage=${paging.perPage}&nextPageToken=${token}>; rel="next"`);
    }
    return page.items;
  }

  @Get(':name')
  @ApiOperation({ summary: 'The definition of one of the caller’s named queries: {name, query}' })
  async get(@CurrentPrincipal() caller: Principal | undefined, @Param('name') name: string, @Res({ passthrough: true }) reply: FastifyReply) {
    void reply.headers(EPCIS_HEADERS);
    return this.queries.get(required(caller), name);
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiOperation({ summary: 'Deletes a named query, its webhook subscriptions, and closes its WebSocket subscriptions' })
  async delete(@CurrentPrincipal() caller: Principal | undefined, @Param('name') name: string): Promise<void> {
    await this.queries.delete(required(caller), name);
  }

  @Get(':name/events')
  @ApiOperation({
    summary:
      'Runs the named query with the caller’s read scope (EPCISQueryDocument, paged). With Upgrade: websocket and ?stream=true it is a WebSocket subscription instead (see README)',
  })
  @ApiQuery({ name: 'perPage', required: false })
  @ApiQuery({ name: 'nextPageToken', required: false })
  async events(@CurrentPrincipal() caller: Principal | undefined, @Param('name') name: string, @Query() query: Record<string, QueryValue>, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    if (query.stream !== undefined || SCHEDULE_FIELDS.some((field) => query[field] !== undefined)) {
      throw new DomainError('VALIDATION_FAILED', 'a subscription on /epcis/queries/{name}/events is a WebSocket: send Upgrade: websocket with stream=true (or subscribe a webhook at /epcis/queries/{name}/subscriptions)', [
        { path: 'stream', message: 'needs a WebSocket upgrade' },
      ]);
    }
    const unknown = Object.keys(query).filter((key) => key !== 'perPage' && key !== 'nextPageToken');
    if (unknown.length > 0) {
      throw new DomainError('VALIDATION_FAILED', `unsupported query parameter ${JSON.stringify(unknown[0])}; the query is defined by its name, this request takes perPage and nextPageToken`, [
        { path: unknown[0], message: 'unsupported parameter' },
      ]);
    }
    const perPage = querySingle('perPage', query.perPage);
    const nextPageToken = querySingle('nextPageToken', query.nextPageToken);
    const page = await this.queries.run(required(caller), name, { perPage, nextPageToken });
    void reply.headers(EPCIS_HEADERS).type('application/json; charset=utf-8');
    if (page.next) {
      const paging = parsePaging({ perPage });
      void reply.header('link', `<${request.url.split('?', 1)[0]}?perPage=${paging.perPage}&nextPageToken=${encodeURIComponent(page.next.token)}>; rel="next"`);
      void reply.header('GS1-Next-Page-Token-Expires', page.next.expiresAt.toISOString());
    }
    const document = page.document as unknown as { epcisBody: { queryResults: Record<string, unknown> } };
    document.epcisBody.queryResults.queryName = name;
    return document;
  }

  @Post(':name/subscriptions')
  @ApiOperation({ summary: 'Subscribes a webhook: {dest, signatureToken (or secret), stream: true, initialRecordTime?}; 201 with Location' })
  @ApiBody({ schema: { example: { dest: 'https://partner.example.com/epcis/callback', signatureToken: 'a-secret-only-we-know', stream: true } } })
  async subscribe(@CurrentPrincipal() caller: Principal | undefined, @Param('name') name: string, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const created = await this.queries.subscribe(required(caller), name, body);
    void reply.status(201).headers(EPCIS_HEADERS).header('location', `/epcis/queries/${encodeURIComponent(name)}/subscriptions/${created.subscriptionID}`);
    return created;
  }

  @Get(':name/subscriptions')
  @ApiOperation({ summary: 'The webhook subscriptions of a named query, with how far each has delivered' })
  subscriptions(@CurrentPrincipal() caller: Principal | undefined, @Param('name') name: string) {
    return this.queries.subscriptions(required(caller), name);
  }

  @Get(':name/subscriptions/:id')
  @ApiOperation({ summary: 'One webhook subscription (never its secret)' })
  subscription(@CurrentPrincipal() caller: Principal | undefined, @Param('name') name: string, @Param('id') id: string) {
    return this.queries.subscription(required(caller), name, id);
  }

  @Delete(':name/subscriptions/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unsubscribes a webhook' })
  async unsubscribe(@CurrentPrincipal() caller: Principal | undefined, @Param('name') name: string, @Param('id') id: string): Promise<void> {
    await this.queries.unsubscribe(required(caller), name, id);
  }
}

function required(caller: Principal | undefined): Principal {
  if (!caller) throw new DomainError('AUTHENTICATION_REQUIRED', 'named queries need a bearer token');
  return caller;
}

function listPosition(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string' && parsed.after.length <= 128) return parsed.after;
  } catch {
    // falls through to the refusal
  }
  throw new DomainError('VALIDATION_FAILED', 'nextPageToken is not one this endpoint issued', [{ path: 'nextPageToken', message: 'invalid' }]);
}
