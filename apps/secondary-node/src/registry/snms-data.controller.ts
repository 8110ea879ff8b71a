import { Body, Controller, Delete, HttpCode, Post, Put, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AllowApiKey, AuthGuard, CurrentPrincipal, RequireRoles } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import { DomainError } from '../errors/domain-errors';
import { compileSchema } from '../http/json-schema';
import { MAX_BATCH_ITEMS, SnmsIdentifiersService, snmsRecordSchema } from './snms-identifiers.service';

const deleteSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['handle'],
  properties: { handle: { type: 'string', minLength: 1, maxLength: 255 } },
};
const readDelete = compileSchema<{ handle: string }>(deleteSchema, 'delete request');

function ok<T>(data: T) {
  return { status: 1, message: 'success', data };
}

/** SNMS-compatible identifier API, envelope {status, message, data}. */
@ApiTags('snms')
@Controller('identityv2/data')
@UseGuards(AuthGuard)
export class SnmsDataController {
  constructor(private readonly snms: SnmsIdentifiersService) {}

  @Post()
  @HttpCode(200)
  @RequireRoles('enterprise', 'operator')
  @AllowApiKey('register')
  @ApiBearerAuth()
  @ApiBody({ schema: snmsRecordSchema })
  async create(@CurrentPrincipal() caller: Principal, @Body() body: unknown) {
    await this.snms.createOne(caller, body);
    return ok(true);
  }

  @Put()
  @RequireRoles('enterprise', 'operator')
  @AllowApiKey('update')
  @ApiBearerAuth()
  @ApiBody({ schema: snmsRecordSchema })
  async update(@CurrentPrincipal() caller: Principal, @Body() body: unknown) {
    await this.snms.updateOne(caller, body);
    return ok(true);
  }

  @Delete()
  @RequireRoles('enterprise', 'operator')
  @AllowApiKey('delete')
  @ApiBearerAuth()
  @ApiBody({ schema: deleteSchema })
  async delete(@CurrentPrincipal() caller: Principal, @Body() body: unknown) {
    await this.snms.deleteOne(caller, readDelete(body).handle);
    return ok(true);
  }

  @Post('batchCreate')
  @HttpCode(200)
  @RequireRoles('enterprise', 'operator')
  @AllowApiKey('register')
  @ApiBearerAuth()
  @ApiOperation({ summary: `Register up to ${MAX_BATCH_ITEMS} identifiers; one result per item, good items stored` })
  @ApiBody({ schema: { type: 'array', maxItems: MAX_BATCH_ITEMS, items: snmsRecordSchema } })
  async batchCreate(@CurrentPrincipal() caller: Principal, @Body() body: unknown) {
    return ok(await this.snms.batchCreate(caller, body));
  }

  @Put('batchUpdate')
  @RequireRoles('enterprise', 'operator')
  @AllowApiKey('update')
  @ApiBearerAuth()
  @ApiBody({ schema: { type: 'array', maxItems: MAX_BATCH_ITEMS, items: snmsRecordSchema } })
  async batchUpdate(@CurrentPrincipal() caller: Principal, @Body() body: unknown) {
    return ok(await this.snms.batchUpdate(caller, body));
  }

  @Delete('batchDelete')
  @RequireRoles('enterprise', 'operator')
  @AllowApiKey('delete')
  @ApiBearerAuth()
  @ApiBody({ schema: { type: 'array', maxItems: MAX_BATCH_ITEMS, items: { type: 'string' } } })
  async batchDelete(@CurrentPrincipal() caller: Principal, @Body() body: unknown) {
    return ok(await this.snms.batchDelete(caller, body));
  }
}
