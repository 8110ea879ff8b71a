import { Controller, HttpCode, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { AllowApiKey, AuthGuard, CurrentPrincipal, RequireRoles } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import { DomainError } from '../errors/domain-errors';
import { querySingle, type QueryValue } from '../http/query-params';
import { setRefusalHeaders } from '../limits/refusal-reply';
import { IdentifierImportService, ImportQuotaRefused, IMPORT_REPORTED_PROBLEMS } from './identifier-import.service';

const PARAMETERS = ['templateVersion'];
/** The one route that takes a text/csv body (streamed, not buffered). */
const IMPORT_PATH = /^\/api\/v1\/prefixes\/[^/?]+\/imports(?:\?|$)/;

/** Bulk registration of identifiers from a CSV file, for files of up to millions of rows. */
@ApiTags('identifiers')
@ApiBearerAuth()
@Controller('api/v1/prefixes')
@UseGuards(AuthGuard)
export class IdentifierImportsController {
  constructor(private readonly imports: IdentifierImportService) {}

  @Post(':prefix/imports')
  @HttpCode(201)
  @RequireRoles('enterprise', 'operator')
  @AllowApiKey('register')
  @ApiOperation({
    summary: 'Register the identifiers of a CSV file under one of the caller\'s prefixes, all or nothing',
    description:
      'Body: text/csv (UTF-8, a BOM allowed), a header row with "suffix" (or 后缀) and one column per template item named by its idType or label, ' +
      'then one identifier per row; rows are checked as the SNMS batch API checks records. Any bad row refuses the whole file (400, ' +
      `the first ${IMPORT_REPORTED_PROBLEMS} rows named, all counted) and nothing is stored; identifiers already registered are left as they are and counted. ` +
      'Larger than IMPORT_MAX_BYTES or IMPORT_MAX_ROWS: 413, nothing stored.',
  })
  @ApiParam({ name: 'prefix', description: 'one of the caller\'s prefixes (any prefix for an operator)' })
  @ApiQuery({ name: 'templateVersion', required: true, description: 'the SNMS data template version of the rows' })
  @ApiConsumes('text/csv')
  @ApiBody({ schema: { type: 'string', example: 'suffix,name\nSKU-0001,红色 500ml\n' } })
  @ApiResponse({ status: 201, description: '{prefix, templateVersion, rows, stored, alreadyExisting, sha256}' })
  async create(
    @CurrentPrincipal() caller: Principal,
    @Param('prefix') prefix: string,
    @Query() query: Record<string, QueryValue>,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const unknown = Object.keys(query ?? {}).filter((name) => !PARAMETERS.includes(name));
    if (unknown.length > 0) {
      throw new DomainError('VALIDATION_FAILED', `unknown query parameter ${unknown.map((n) => JSON.stringify(n)).join(', ')}; expected templateVersion`);
    }
    const templateVersion = querySingle('templateVersion', query.templateVersion);
    if (!templateVersion || templateVersion.length > 128) {
      throw new DomainError('VALIDATION_FAILED', 'query parameter templateVersion is required (1 to 128 characters)', [{ path: 'templateVersion', message: 'is required' }]);
    }
    if (!(request.body instanceof Readable)) throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'an import body must be sent as text/csv');
    const length = Number(request.headers['content-length']);
    try {
      return await this.imports.importCsv(caller, prefix, templateVersion, request.body, Number.isFinite(length) ? length : undefined);
    } catch (error) {
      if (!(error instanceof ImportQuotaRefused)) throw error;
      setRefusalHeaders(reply, error.refusal);
      throw error.error;
    }
  }
}

/**
 * text/csv bodies reach the import route as the request stream itself (the import reads and
 * bounds it: IMPORT_MAX_BYTES, not the node's body limit); any other route refuses them (415) as
 * before, and a request no route answers is not read.
 */
export function installCsvBodyParser(fastify: FastifyInstance): void {
  fastify.addContentTypeParser('text/csv', (request, payload, done) => {
    if (request.is404) {
      done(null, undefined);
      return;
    }
    if (request.method !== 'POST' || !IMPORT_PATH.test(request.url)) {
      done(Object.assign(new Error('Unsupported Media Type: text/csv'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' }), undefined);
      return;
    }
    done(null, payload);
  });
}
