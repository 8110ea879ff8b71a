import { Body, Controller, Delete, Get, Put, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AllowApiKey, AuthGuard, CurrentPrincipal, RequireRoles } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import { DomainError } from '../errors/domain-errors';
import { queryBoolean, queryInteger, queryList, querySingle, type QueryValue } from '../http/query-params';
import { handleFromPath, indexFromQuery } from '../http/identifier-input';
import { HandleRestAuthGuard } from './handle-auth/handle-rest-auth.guard';
import { HandlesService } from './handles.service';


/**
 * Handle.Net JSON REST API (Handle.Net 9 technical manual, ch. 14). Everything after /api/handles/
 * is the identifier, slashes included, sent unencoded by clients such as pyhandle.
 */
@ApiTags('handle-rest')
@Controller('api')
// Bearer tokens as on every front door, plus the Handle.Net identities (Basic, Authorization: Handle).
@UseGuards(HandleRestAuthGuard)
export class HandlesController {
  constructor(private readonly handles: HandlesService) {}

  @Put('handles/*')
  @RequireRoles('enterprise', 'operator')
  @AllowApiKey('register', 'update')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Create or replace a handle, or (with index=) add/replace values; overwrite=false refuses existing ones (409)' })
  @ApiBody({ schema: { oneOf: [{ type: 'array', items: { type: 'object' } }, { type: 'object' }] } })
  @ApiQuery({ name: 'index', required: false, isArray: true, description: 'indexes in the body, or "various"' })
  @ApiQuery({ name: 'overwrite', required: false, type: Boolean })
  @ApiQuery({ name: 'mintNewSuffix', required: false, type: Boolean })
  async put(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @CurrentPrincipal() caller: Principal,
    @Body() body: unknown,
    @Query('index') index: QueryValue,
    @Query('overwrite') overwrite: QueryValue,
    @Query('mintNewSuffix') mintNewSuffix: QueryValue,
  ) {
    assertJsonContentType(request);
    const indexes = queryList(index);
    const overwriteFlag = queryBoolean('overwrite', overwrite) ?? true;
    const result = await this.handles.put(handleFromPath(request.url), body, caller, {
      indexes: indexes.length === 0 ? undefined : indexes.includes('various') ? 'various' : indexes.map((raw) => indexFromQuery(raw)),
      overwrite: overwriteFlag,
      mintNewSuffix: queryBoolean('mintNewSuffix', mintNewSuffix) ?? false,
    });
    // Handle.Net answers 201 only when the request had overwrite=false and created something.
    void reply.status(!overwriteFlag ? 201 : 200);
    return { responseCode: 1, handle: result.handle };
  }

  @Delete('handles/*')
  @RequireRoles('enterprise', 'operator')
  @AllowApiKey('delete', 'update')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Delete a handle, or only the values at the given indexes' })
  async delete(@Req() request: FastifyRequest, @CurrentPrincipal() caller: Principal, @Query('index') index: QueryValue) {
    const handle = handleFromPath(request.url);
    const indexes = queryList(index);
    await this.handles.delete(handle, caller, indexes.length === 0 ? undefined : indexes.map((raw) => indexFromQuery(raw)));
    return { responseCode: 1, handle };
  }

  @Get('handles')
  @RequireRoles('enterprise', 'operator')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'List the handles under a prefix; page is zero-based, pageSize 0 counts only' })
  async list(@CurrentPrincipal() caller: Principal, @Query('prefix') prefix: QueryValue, @Query('page') page: QueryValue, @Query('pageSize') pageSize: QueryValue) {
    const prefixText = querySingle('prefix', prefix);
    if (!prefixText) throw new DomainError('VALIDATION_FAILED', 'query parameter prefix is required');
    const size = querySingle('pageSize', pageSize);
    const result = await this.handles.list(
      prefixText,
      caller,
      queryInteger('page', page, { min: 0, max: 10_000_000, fallback: 0 }),
      size === undefined || size === '' || Number(size) < 0 ? undefined : queryInteger('pageSize', pageSize, { min: 0, max: 10_000, fallback: 0 }),
    );
    return { responseCode: 1, ...result };
  }

  @Get('prefixes')
  @ApiOperation({ summary: 'Prefixes homed on this node' })
  async prefixes() {
    return { responseCode: 1, prefixes: await this.handles.homedPrefixes() };
  }
}

/**
 * Handle.Net refuses a PUT whose Content-Type is not application/json with 400. Fastify would
 * otherwise hand a text/plain body over as a string and the error would blame the values.
 */
function assertJsonContentType(request: FastifyRequest): void {
  const contentType = request.headers['content-type'];
  if (contentType === undefined || !/^application\/json\s*(;|$)/i.test(contentType)) {
    throw new DomainError('UNSUPPORTED_MEDIA_TYPE', `Content-Type must be application/json, got ${contentType === undefined ? 'none' : JSON.stringify(contentType)}`);
  }
}
