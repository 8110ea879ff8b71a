import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AuthGuard, CurrentPrincipal, RequireRoles } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import { DomainError } from '../errors/domain-errors';
import { compileSchema } from '../http/json-schema';
import { querySingle, type QueryValue } from '../http/query-params';
import { SNMS_MAX_VALUE_LENGTH } from './snms-identifiers.service';
import { type TemplateInput, TemplatesService } from './templates.service';

/** No control characters and no unpaired UTF-16 surrogates (Ajv compiles patterns with the u flag). */
const NO_CONTROL = '^[^\\u0000-\\u001f\\u007f-\\u009f\\uD800-\\uDFFF]+$';
/** Free text may hold line breaks, but never U+0000 (PostgreSQL refuses it) or an unpaired surrogate. */
const STORABLE_TEXT = '^[^\\u0000\\uD800-\\uDFFF]*$';
const NO_CONTROL_RE = new RegExp(NO_CONTROL, 'u');

const templateSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['prefix', 'version', 'industryCategory', 'industrySpecific', 'industryTrade', 'industrySubclass', 'type', 'items'],
  properties: {
    prefix: { type: 'string', minLength: 1, maxLength: 64 },
    version: { type: 'string', minLength: 1, maxLength: 128, pattern: NO_CONTROL },
    industryCategory: { type: 'string', pattern: '^[A-T]$', description: 'GB/T 4754 门类' },
    industrySpecific: { type: 'string', pattern: '^[0-9]{2}$', description: '大类' },
    industryTrade: { type: 'string', pattern: '^[0-9]{3}$', description: '中类' },
    industrySubclass: { type: 'string', pattern: '^[0-9]{4}$', description: '小类' },
    type: { type: 'integer', enum: [1, 2], description: '1 主动标识载体, 2 其他' },
    description: { type: 'string', maxLength: 1000, pattern: STORABLE_TEXT },
    items: {
      type: 'array',
      minItems: 1,
      maxItems: 200,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'idType', 'metadata'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 128, pattern: NO_CONTROL },
          idType: { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$', not: { pattern: '\\.$' } },
          idIndex: { type: 'integer', minimum: 2000, maximum: 2147483647 },
          required: { type: 'boolean' },
          state: { type: 'integer', enum: [0, 1], description: '1 enabled, 0 disabled' },
          metadata: {
            type: 'object',
            additionalProperties: false,
            required: ['minLength', 'maxLength'],
            properties: {
              type: { type: 'string', enum: ['string'] },
              minLength: { type: 'integer', minimum: 0, maximum: SNMS_MAX_VALUE_LENGTH },
              maxLength: { type: 'integer', minimum: 1, maximum: SNMS_MAX_VALUE_LENGTH },
            },
          },
        },
      },
    },
  },
};
const readTemplate = compileSchema<TemplateInput>(templateSchema, 'template');

const keySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['prefix', 'version'],
  properties: { prefix: { type: 'string', minLength: 1, maxLength: 64 }, version: { type: 'string', minLength: 1, maxLength: 128, pattern: NO_CONTROL } },
};
const readKey = compileSchema<{ prefix: string; version: string }>(keySchema, 'template key');

function ok<T>(data: T) {
  return { status: 1, message: 'success', data };
}

/** SNMS data templates; v3 is served too because older enterprise systems still call it. */
@ApiTags('snms')
@Controller(['snms/api/v5/template', 'snms/api/v3/template'])
@UseGuards(AuthGuard)
@RequireRoles('enterprise', 'operator')
@ApiBearerAuth()
export class SnmsTemplateController {
  constructor(private readonly templates: TemplatesService) {}

  @Get()
  @ApiQuery({ name: 'prefix', required: true })
  @ApiQuery({ name: 'version', required: true })
  async get(@CurrentPrincipal() caller: Principal, @Query('prefix') prefix: QueryValue, @Query('version') version: QueryValue) {
    const prefixText = querySingle('prefix', prefix);
    const versionText = querySingle('version', version);
    if (!prefixText || !versionText) throw new DomainError('VALIDATION_FAILED', 'query parameters prefix and version are required');
    if (prefixText.length > 64 || versionText.length > 128) throw new DomainError('VALIDATION_FAILED', 'prefix is at most 64 and version at most 128 characters');
    if (!NO_CONTROL_RE.test(versionText)) throw new DomainError('VALIDATION_FAILED', 'version must not contain control characters or unpaired surrogates');
    return ok(await this.templates.get(caller, prefixText, versionText));
  }

  @Post()
  @HttpCode(200)
  @ApiBody({ schema: templateSchema })
  async create(@CurrentPrincipal() caller: Principal, @Body() body: unknown) {
    return ok(await this.templates.create(caller, readTemplate(body)));
  }

  @Put()
  @ApiBody({ schema: templateSchema })
  async update(@CurrentPrincipal() caller: Principal, @Body() body: unknown) {
    return ok(await this.templates.update(caller, readTemplate(body)));
  }

  @Delete()
  @ApiBody({ schema: keySchema })
  async delete(@CurrentPrincipal() caller: Principal, @Body() body: unknown) {
    const key = readKey(body);
    await this.templates.delete(caller, key.prefix, key.version);
    return ok(true);
  }
}
