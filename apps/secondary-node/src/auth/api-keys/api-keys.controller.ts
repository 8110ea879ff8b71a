import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { compileSchema } from '../../http/json-schema';
import { queryInteger, type QueryValue } from '../../http/query-params';
import { AuthGuard, CurrentPrincipal, RequireRoles } from '../auth.guard';
import type { Principal } from '../principal';
import { API_KEY_OPERATIONS } from './api-key-scope';
import { type ApiKeyInput, ApiKeysService } from './api-keys.service';

const apiKeySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'prefixes', 'operations'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100, pattern: '^(?=.*\\S)[^\\u0000-\\u001f\\u007f]*$', description: 'What the key is for, e.g. "ERP batch upload"' },
    prefixes: {
      type: 'array',
      minItems: 1,
      maxItems: 50,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 64 },
      description: 'Prefixes of this enterprise the key may act under',
    },
    operations: { type: 'array', minItems: 1, maxItems: API_KEY_OPERATIONS.length, uniqueItems: true, items: { type: 'string', enum: [...API_KEY_OPERATIONS] } },
    expiresInDays: { type: 'integer', minimum: 1, maximum: 3650, description: 'Lifetime in days: API_KEY_DEFAULT_DAYS (90) when absent, at most API_KEY_MAX_DAYS (365)' },
  },
};
const readApiKey = compileSchema<ApiKeyInput>(apiKeySchema, 'API key');

/**
 * API keys for an enterprise's machines. A key is sent as `Authorization: Bearer idk_…` or
 * `X-API-Key: idk_…` on every front door that takes a token, and may do only its operations under
 * its prefixes.
 */
@ApiTags('api-keys')
@ApiBearerAuth()
@Controller('api/v1/enterprises/:enterpriseId/api-keys')
@UseGuards(AuthGuard)
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @RequireRoles('enterprise')
  @ApiOperation({ summary: 'Create an API key (the enterprise itself) → 201 with the secret, shown this once; stored only as a hash' })
  @ApiBody({ schema: apiKeySchema })
  @ApiResponse({ status: 201, description: '{id, name, secret, hint, prefixes, operations, status, createdBy, createdAt, expiresAt, lastUsedAt, revokedAt}' })
  @ApiResponse({ status: 400, description: 'invalid body, a prefix that is not this enterprise\'s, or a lifetime over API_KEY_MAX_DAYS' })
  @ApiResponse({ status: 403, description: 'not this enterprise (or an API key)' })
  @ApiResponse({ status: 409, description: 'the enterprise already holds 100 active keys' })
  create(@CurrentPrincipal() caller: Principal, @Param('enterpriseId', new ParseUUIDPipe()) enterpriseId: string, @Body() body: unknown) {
    return this.keys.create(caller, enterpriseId, readApiKey(body));
  }

  @Get()
  @RequireRoles('enterprise', 'operator')
  @ApiOperation({ summary: 'The enterprise\'s API keys, newest first, without secrets: status active|expired|revoked and last use (to the minute)' })
  @ApiQuery({ name: 'page', required: false, description: '1-based page number' })
  @ApiQuery({ name: 'pageSize', required: false, description: '1 to 200, default 50' })
  list(@CurrentPrincipal() caller: Principal, @Param('enterpriseId', new ParseUUIDPipe()) enterpriseId: string, @Query('page') page: QueryValue, @Query('pageSize') pageSize: QueryValue) {
    return this.keys.list(
      caller,
      enterpriseId,
      queryInteger('page', page, { min: 1, max: 1_000_000, fallback: 1 }),
      queryInteger('pageSize', pageSize, { min: 1, max: 200, fallback: 50 }),
    );
  }

  @Delete(':keyId')
  @HttpCode(204)
  @RequireRoles('enterprise', 'operator')
  @ApiOperation({ summary: 'Revoke an API key (the enterprise or an operator): refused at once here, on every replica within AUTH_CACHE_MS' })
  @ApiResponse({ status: 404, description: 'the enterprise has no such key' })
  async revoke(
    @CurrentPrincipal() caller: Principal,
    @Param('enterpriseId', new ParseUUIDPipe()) enterpriseId: string,
    @Param('keyId', new ParseUUIDPipe()) keyId: string,
  ): Promise<void> {
    await this.keys.revoke(caller, enterpriseId, keyId);
  }
}
