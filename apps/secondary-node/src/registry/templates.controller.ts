import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AuthGuard, CurrentPrincipal, RequireRoles } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import { DomainError } from '../errors/domain-errors';
import { queryInteger, querySingle, type QueryValue } from '../http/query-params';
import { TemplatesService } from './templates.service';

const PARAMETERS = ['prefix', 'page', 'pageSize'];

/**
 * The templates of a prefix in one call, for the console (the SNMS template API reads one version
 * at a time and has no listing). Creating, adding and disabling items stay on /snms/api/v5/template.
 */
@ApiTags('identifiers')
@ApiBearerAuth()
@Controller('api/v1/templates')
@UseGuards(AuthGuard)
export class TemplatesController {
  constructor(private readonly templates: TemplatesService) {}

  @Get()
  @RequireRoles('enterprise', 'operator')
  @ApiOperation({
    summary: 'A prefix\'s SNMS data templates, newest first, each with all its items (as GET /snms/api/v5/template gives one)',
    description:
      'An item is a form field: value index idIndex, value type idType, label name; required; state 1 enabled, 0 disabled (no value may be given for it); ' +
      'metadata.type is always "string", metadata.minLength / maxLength count characters.',
  })
  @ApiQuery({ name: 'prefix', required: true, description: 'one of the caller\'s prefixes (any active prefix for an operator)' })
  @ApiQuery({ name: 'page', required: false, description: '1-based page number, default 1' })
  @ApiQuery({ name: 'pageSize', required: false, description: '1 to 200, default 20' })
  list(@CurrentPrincipal() caller: Principal, @Query() query: Record<string, QueryValue>) {
    const unknown = Object.keys(query ?? {}).filter((name) => !PARAMETERS.includes(name));
    if (unknown.length > 0) {
      throw new DomainError(
        'VALIDATION_FAILED',
        `unknown query parameter ${unknown.map((n) => JSON.stringify(n)).join(', ')}; expected ${PARAMETERS.join(', ')}`,
        unknown.map((name) => ({ path: name, message: 'unknown parameter' })),
      );
    }
    const prefix = querySingle('prefix', query.prefix);
    if (!prefix) throw new DomainError('VALIDATION_FAILED', 'query parameter prefix is required', [{ path: 'prefix', message: 'is required' }]);
    if (prefix.length > 64) throw new DomainError('VALIDATION_FAILED', 'query parameter prefix must be at most 64 characters', [{ path: 'prefix', message: 'at most 64 characters' }]);
    const page = queryInteger('page', query.page, { min: 1, max: 1_000_000, fallback: 1 });
    const pageSize = queryInteger('pageSize', query.pageSize, { min: 1, max: 200, fallback: 20 });
    return this.templates.list(caller, prefix, page, pageSize);
  }
}
