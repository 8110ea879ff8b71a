import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AuthGuard, CurrentPrincipal, RequireRoles } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import { DomainError } from '../errors/domain-errors';
import { queryInteger, querySingle, type QueryValue } from '../http/query-params';
import { IdentifierListingService } from './identifier-listing.service';
import { MAX_COUNTED, MAX_SUFFIX_LENGTH, MAX_VALUE_TERM_LENGTH, VALUE_SCAN_LIMIT } from './identifier-search';

const PARAMETERS = ['prefix', 'suffix', 'value', 'page', 'pageSize'] as const;
/** Control characters and unpaired surrogates can be part of no handle and no value. */
const UNSEARCHABLE = /[\u0000-\u001f\u007f]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const pageSchema = {
  type: 'object',
  required: ['items', 'total', 'totalCapped', 'valueScanLimited', 'page', 'pageSize'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          handle: { type: 'string', example: '88.118.8/SKU-0001' },
          prefix: { type: 'string', example: '88.118.8' },
          suffix: { type: 'string', example: 'SKU-0001' },
          templateVersion: { type: 'string', nullable: true, description: 'SNMS template version (value 1001), null when registered without one' },
          values: {
            type: 'array',
            items: { type: 'object', properties: { index: { type: 'integer' }, type: { type: 'string' }, data: { type: 'object', example: { format: 'string', value: '红色 500ml' } } } },
          },
          updatedAt: { type: 'string', format: 'date-time' },
        },
      },
    },
    total: { type: 'integer', description: `matches, counted up to ${MAX_COUNTED}` },
    totalCapped: { type: 'boolean', description: `true when there are more than ${MAX_COUNTED} matches (total is then ${MAX_COUNTED})` },
    valueScanLimited: { type: 'boolean', description: `with value: true when a prefix in scope holds more than ${VALUE_SCAN_LIMIT} identifiers and only its first ${VALUE_SCAN_LIMIT} (in handle order) were searched` },
    page: { type: 'integer' },
    pageSize: { type: 'integer' },
  },
};

/** The identifiers an enterprise registered (an operator: all of the node's), for the console's list and search. */
@ApiTags('identifiers')
@ApiBearerAuth()
@Controller('api/v1/identifiers')
@UseGuards(AuthGuard)
export class IdentifiersController {
  constructor(private readonly listing: IdentifierListingService) {}

  @Get()
  @RequireRoles('enterprise', 'operator')
  @ApiOperation({
    summary: 'List and search identifiers: an enterprise its own prefixes, an operator every prefix; in handle order',
    description:
      `suffix: the suffix starts with it (ASCII case ignored; a primary-key range scan). value: some string value contains it (case ignored); ` +
      `it examines at most the first ${VALUE_SCAN_LIMIT} identifiers of each prefix in scope (valueScanLimited says when that cut the search), ` +
      `and a search that outlasts the heavy-read statement timeout answers 422 QUERY_TOO_EXPENSIVE. Partners are refused (403).`,
  })
  @ApiQuery({ name: 'prefix', required: false, description: 'one of the caller\'s prefixes (any prefix for an operator); default: all of them' })
  @ApiQuery({ name: 'suffix', required: false, description: `suffix starts with this, 1 to ${MAX_SUFFIX_LENGTH} characters; an operator gives prefix with it` })
  @ApiQuery({ name: 'value', required: false, description: `a string value contains this, 1 to ${MAX_VALUE_TERM_LENGTH} characters` })
  @ApiQuery({ name: 'page', required: false, description: '1-based page number, default 1' })
  @ApiQuery({ name: 'pageSize', required: false, description: '1 to 200, default 20' })
  @ApiOkResponse({ schema: pageSchema })
  list(@CurrentPrincipal() caller: Principal, @Query() query: Record<string, QueryValue>) {
    const unknown = Object.keys(query ?? {}).filter((name) => !(PARAMETERS as readonly string[]).includes(name));
    if (unknown.length > 0) {
      throw new DomainError(
        'VALIDATION_FAILED',
        `unknown query parameter ${unknown.map((n) => JSON.stringify(n)).join(', ')}; expected ${PARAMETERS.join(', ')}`,
        unknown.map((name) => ({ path: name, message: 'unknown parameter' })),
      );
    }
    const page = queryInteger('page', query.page, { min: 1, max: 1_000_000, fallback: 1 });
    const pageSize = queryInteger('pageSize', query.pageSize, { min: 1, max: 200, fallback: 20 });
    return this.listing.list(
      caller,
      {
        prefix: searchText('prefix', query.prefix, 64),
        suffix: searchText('suffix', query.suffix, MAX_SUFFIX_LENGTH),
        value: searchText('value', query.value, MAX_VALUE_TERM_LENGTH),
      },
      page,
      pageSize,
    );
  }
}

/** A text parameter: absent or empty is no filter; at most `max` characters, none a control character. */
function searchText(name: string, value: QueryValue, max: number): string | undefined {
  const text = querySingle(name, value);
  if (text === undefined || text === '') return undefined;
  if ([...text].length > max) throw new DomainError('VALIDATION_FAILED', `query parameter ${name} must be at most ${max} characters`, [{ path: name, message: `at most ${max} characters` }]);
  if (UNSEARCHABLE.test(text)) {
    throw new DomainError('VALIDATION_FAILED', `query parameter ${name} must not contain control characters or unpaired surrogates`, [{ path: name, message: 'control character' }]);
  }
  return text;
}
