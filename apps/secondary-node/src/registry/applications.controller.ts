import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuthGuard, CurrentPrincipal, RequireRoles } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import { type CsvColumn, sendCsv } from '../http/csv-reply';
import { compileSchema } from '../http/json-schema';
import { readFormat, readPaging, readText, readTimeRange, refuseUnknownParameters } from '../http/listing-query';
import { queryEnum, type QueryValue } from '../http/query-params';
import { type ApplicationInput, ApplicationsService } from './applications.service';

/** Single-line text: no control characters (PostgreSQL also refuses NUL, which would otherwise surface as a 500). */
const SINGLE_LINE = '^[^\\u0000-\\u001f\\u007f]*$';

const applicationSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['orgName', 'creditCode', 'contactName', 'contactPhone', 'contactEmail', 'requestedPrefix', 'username', 'password'],
  properties: {
    orgName: { type: 'string', minLength: 1, maxLength: 200, pattern: SINGLE_LINE, description: 'Registered name of the organisation' },
    creditCode: { type: 'string', minLength: 18, maxLength: 18, description: 'Unified social credit code (GB 32100), check character verified' },
    contactName: { type: 'string', minLength: 1, maxLength: 100, pattern: SINGLE_LINE },
    contactPhone: { type: 'string', pattern: '^\\+?[0-9][0-9 -]{5,30}$' },
    contactEmail: { type: 'string', format: 'email', maxLength: 254, pattern: SINGLE_LINE },
    requestedPrefix: { type: 'string', minLength: 1, maxLength: 64, description: 'Enterprise prefix under this node, e.g. 88.118.8' },
    username: { type: 'string', pattern: '^[A-Za-z0-9_.@-]{3,50}$', description: 'Login of the enterprise account created on approval' },
    password: { type: 'string', minLength: 8, maxLength: 64 },
  },
};
const readApplication = compileSchema<ApplicationInput>(applicationSchema, 'application');

const rejectSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  // A reason must say something (not only blanks); line breaks are allowed, other control characters are not.
  properties: { reason: { type: 'string', minLength: 1, maxLength: 1000, pattern: '^(?=[\\s\\S]*\\S)[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$' } },
};
const readReject = compileSchema<{ reason: string }>(rejectSchema, 'rejection');

const STATUSES = ['pending_review', 'approved', 'filing', 'active', 'rejected'] as const;

const LIST_PARAMETERS = ['status', 'q', 'from', 'to', 'page', 'pageSize', 'format'] as const;

/** The export's columns: the listing's fields, in its order. */
const CSV_COLUMNS: CsvColumn[] = [
  'id', 'status', 'orgName', 'creditCode', 'contactName', 'contactPhone', 'contactEmail', 'requestedPrefix', 'username', 'enterpriseId', 'reviewReason', 'reviewedBy', 'reviewedAt', 'createdAt', 'updatedAt',
].map((key) => ({ key, header: key }));

@ApiTags('enterprises')
@Controller('api/v1/enterprises/applications')
@UseGuards(AuthGuard)
export class ApplicationsController {
  constructor(private readonly applications: ApplicationsService) {}

  @Post()
  @ApiOperation({ summary: 'Apply for an enterprise prefix (no login needed); an operator reviews it' })
  @ApiBody({ schema: applicationSchema })
  apply(@Body() body: unknown) {
    return this.applications.apply(readApplication(body));
  }

  @Get()
  @RequireRoles('operator', 'enterprise')
  @ApiBearerAuth()
  @ApiOperation({
    summary: 'List applications (operators see all, an enterprise its own); newest first',
    description: '`format=csv` sends every matching application (no paging) as a CSV download, streamed a page of the database at a time; X-Total-Count names the number of rows.',
  })
  @ApiQuery({ name: 'status', required: false, enum: STATUSES })
  @ApiQuery({ name: 'q', required: false, description: 'Substring of organisation name, prefix or credit code (at most 100 characters)' })
  @ApiQuery({ name: 'from', required: false, description: 'Applied at or after: ISO 8601 date or date-time with offset' })
  @ApiQuery({ name: 'to', required: false, description: 'Applied before: ISO 8601 date or date-time with offset' })
  @ApiQuery({ name: 'page', required: false, description: '1-based page number' })
  @ApiQuery({ name: 'pageSize', required: false, description: '1 to 200, default 20' })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv'] })
  @ApiProduces('application/json', 'text/csv')
  @ApiResponse({ status: 200, description: '{items: [application], total, page, pageSize}, or text/csv' })
  @ApiResponse({ status: 400, description: 'an unknown, repeated or malformed query parameter' })
  async list(@CurrentPrincipal() caller: Principal, @Query() rawQuery: Record<string, QueryValue>, @Res() reply: FastifyReply): Promise<void> {
    const query = refuseUnknownParameters(rawQuery, LIST_PARAMETERS);
    const filter = { status: queryEnum('status', query.status, STATUSES), q: readText('q', query.q), ...readTimeRange(query) };
    const { page, pageSize } = readPaging(query);
    if (readFormat(query) === 'csv') {
      const { total, rows } = await this.applications.exportList(caller, filter);
      sendCsv(reply, { filename: 'applications.csv', columns: CSV_COLUMNS, rows, total });
      return;
    }
    const result = await this.applications.list(caller, filter, page - 1, pageSize);
    void reply.header('cache-control', 'no-store').send({ ...result, page });
  }

  @Get(':id')
  @RequireRoles('operator', 'enterprise')
  @ApiBearerAuth()
  get(@CurrentPrincipal() caller: Principal, @Param('id', new ParseUUIDPipe()) id: string) {
    return this.applications.get(id, caller);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @RequireRoles('operator')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Approve: creates the enterprise and its account and activates the prefix' })
  approve(@CurrentPrincipal() operator: Principal, @Param('id', new ParseUUIDPipe()) id: string) {
    return this.applications.approve(id, operator);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @RequireRoles('operator')
  @ApiBearerAuth()
  @ApiBody({ schema: rejectSchema })
  reject(@CurrentPrincipal() operator: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body() body: unknown) {
    return this.applications.reject(id, readReject(body).reason, operator);
  }
}
