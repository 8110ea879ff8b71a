import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AuthGuard, CurrentPrincipal, RequireRoles } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import { DomainError } from '../errors/domain-errors';
import { compileSchema } from '../http/json-schema';
import { queryEnum, queryInteger, querySingle, type QueryValue } from '../http/query-params';
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
  @ApiOperation({ summary: 'List applications (operators see all, an enterprise its own); newest first' })
  @ApiQuery({ name: 'status', required: false, enum: STATUSES })
  @ApiQuery({ name: 'q', required: false, description: 'Substring of organisation name, prefix or credit code' })
  @ApiQuery({ name: 'page', required: false, description: '1-based page number' })
  @ApiQuery({ name: 'pageSize', required: false, description: '1 to 200, default 20' })
  list(
    @CurrentPrincipal() caller: Principal,
    @Query('status') status: QueryValue,
    @Query('q') q: QueryValue,
    @Query('page') page: QueryValue,
    @Query('pageSize') pageSize: QueryValue,
  ) {
    const text = querySingle('q', q);
    if (text !== undefined && text.length > 100) throw new DomainError('VALIDATION_FAILED', 'query parameter q must be at most 100 characters');
    const pageNumber = queryInteger('page', page, { min: 1, max: 1_000_000, fallback: 1 });
    const size = queryInteger('pageSize', pageSize, { min: 1, max: 200, fallback: 20 });
    return this.applications
      .list(caller, { status: queryEnum('status', status, STATUSES), q: text || undefined }, pageNumber - 1, size)
      .then((result) => ({ ...result, page: pageNumber }));
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
