import { Controller, Get, Param, ParseUUIDPipe, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuthGuard, CurrentPrincipal, RequireRoles } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import { type CsvColumn, sendCsv } from '../http/csv-reply';
import { readFormat, readPaging, readText, refuseUnknownParameters } from '../http/listing-query';
import { queryEnum, type QueryValue } from '../http/query-params';
import { EnterpriseOverviewService } from './enterprise-overview.service';

const STATUSES = ['active', 'suspended'] as const;
const LIST_PARAMETERS = ['q', 'status', 'page', 'pageSize', 'format'] as const;

const CSV_COLUMNS: CsvColumn[] = ['id', 'organisation', 'creditCode', 'status', 'prefixes', 'identifiers', 'contactName', 'contactPhone', 'contactEmail', 'createdAt'].map((key) => ({ key, header: key }));

/** The enterprises of this node for the operator's console (their applications are under /applications). */
@ApiTags('enterprises')
@ApiBearerAuth()
@Controller('api/v1/enterprises')
@UseGuards(AuthGuard)
export class EnterpriseOverviewController {
  constructor(private readonly overview: EnterpriseOverviewService) {}

  @Get()
  @RequireRoles('operator')
  @ApiOperation({
    summary: 'Enterprises of this node, newest first, with their prefixes and identifier counts (operator)',
    description:
      'JSON: `{items: [{id, organisation, creditCode, status, prefixes: [{prefix, status}], identifiers, createdAt}], total, page, pageSize}`. `format=csv` sends every matching enterprise (paging ignored) with contact columns, prefixes separated by spaces; X-Total-Count names the rows.',
  })
  @ApiQuery({ name: 'q', required: false, description: 'Substring of the organisation name, credit code or a prefix (at most 100 characters, case-insensitive)' })
  @ApiQuery({ name: 'status', required: false, enum: STATUSES })
  @ApiQuery({ name: 'page', required: false, description: '1-based page number' })
  @ApiQuery({ name: 'pageSize', required: false, description: '1 to 200, default 20' })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv'] })
  @ApiProduces('application/json', 'text/csv')
  @ApiResponse({ status: 200, description: '{items, total, page, pageSize}, or text/csv with a UTF-8 BOM' })
  @ApiResponse({ status: 400, description: 'an unknown, repeated or malformed query parameter' })
  @ApiResponse({ status: 403, description: 'not an operator' })
  async list(@Query() rawQuery: Record<string, QueryValue>, @Res() reply: FastifyReply): Promise<void> {
    const query = refuseUnknownParameters(rawQuery, LIST_PARAMETERS);
    const filter = { q: readText('q', query.q), status: queryEnum('status', query.status, STATUSES) };
    const { page, pageSize } = readPaging(query);
    if (readFormat(query) === 'csv') {
      const { total, rows } = await this.overview.exportList(filter);
      sendCsv(reply, { filename: 'enterprises.csv', columns: CSV_COLUMNS, rows, total });
      return;
    }
    void reply.header('cache-control', 'no-store').send(await this.overview.list(filter, page, pageSize));
  }

  @Get(':id')
  @RequireRoles('operator', 'enterprise')
  @ApiOperation({
    summary: 'One enterprise: prefixes, identifier count, contact and its volumes over the last 30 days (an operator, or the enterprise itself)',
    description:
      '`{id, organisation, creditCode, status, prefixes: [{prefix, status}], identifiers, createdAt, updatedAt, contact: {name, phone, email}, volumes: {from, to, resolutions30d, registrations30d, resolutions: {l1, l2, db, notFound, error, total}, registrations: {create, update, delete, total}}}`. Another enterprise\'s id is answered 404 like an unknown one.',
  })
  @ApiResponse({ status: 404, description: 'no such enterprise (or not the caller\'s own)' })
  detail(@CurrentPrincipal() caller: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Query() query: Record<string, QueryValue>) {
    refuseUnknownParameters(query, []);
    return this.overview.detail(caller, id);
  }
}
