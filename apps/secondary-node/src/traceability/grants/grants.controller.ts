import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AuthGuard, CurrentPrincipal, RequireRoles } from '../../auth/auth.guard';
import type { Principal } from '../../auth/principal';
import { compileSchema } from '../../http/json-schema';
import { queryInteger, type QueryValue } from '../../http/query-params';
import { GrantsService, type PartnerInput } from './grants.service';

const grantSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['granteeUsername'],
  properties: {
    granteeUsername: { type: 'string', minLength: 1, maxLength: 50, pattern: '^[^\\u0000-\\u001f\\u007f]+$', description: 'A partner account, or another enterprise\'s account' },
  },
};
const readGrant = compileSchema<{ granteeUsername: string }>(grantSchema, 'grant');

const partnerSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['username', 'password', 'orgName'],
  properties: {
    username: { type: 'string', pattern: '^[A-Za-z0-9_.@-]{3,50}$' },
    password: { type: 'string', minLength: 8, maxLength: 64 },
    orgName: { type: 'string', minLength: 1, maxLength: 200, pattern: '^(?=.*\\S)[^\\u0000-\\u001f\\u007f]*$', description: 'The partner organisation' },
  },
};
const readPartner = compileSchema<PartnerInput>(partnerSchema, 'partner');

/** An enterprise grants other accounts (partners, other enterprises) read access to its traceability events. */
@ApiTags('traceability')
@ApiBearerAuth()
@Controller('api/v1/enterprises/:enterpriseId/grants')
@UseGuards(AuthGuard)
@RequireRoles('enterprise', 'operator')
export class GrantsController {
  constructor(private readonly grants: GrantsService) {}

  @Post()
  @ApiOperation({ summary: 'Let an account read this enterprise\'s traceability events (the enterprise itself or an operator) → 201 grant' })
  @ApiBody({ schema: grantSchema })
  grant(@CurrentPrincipal() caller: Principal, @Param('enterpriseId', new ParseUUIDPipe()) enterpriseId: string, @Body() body: unknown) {
    return this.grants.grant(caller, enterpriseId, readGrant(body).granteeUsername);
  }

  @Get()
  @ApiOperation({ summary: 'The grants of an enterprise, oldest first' })
  list(@CurrentPrincipal() caller: Principal, @Param('enterpriseId', new ParseUUIDPipe()) enterpriseId: string) {
    return this.grants.list(caller, enterpriseId);
  }

  @Delete(':grantId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a grant; effective for the next request' })
  async revoke(
    @CurrentPrincipal() caller: Principal,
    @Param('enterpriseId', new ParseUUIDPipe()) enterpriseId: string,
    @Param('grantId', new ParseUUIDPipe()) grantId: string,
  ): Promise<void> {
    await this.grants.revoke(caller, enterpriseId, grantId);
  }
}

/** Partner accounts (role `partner`): created by an operator, they read what enterprises grant them (and list those grants). */
@ApiTags('traceability')
@ApiBearerAuth()
@Controller('api/v1/partners')
@UseGuards(AuthGuard)
@RequireRoles('operator')
export class PartnersController {
  constructor(private readonly grants: GrantsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a partner account (operator) → 201; the partner logs in with POST /api/v1/auth/token' })
  @ApiBody({ schema: partnerSchema })
  create(@CurrentPrincipal() operator: Principal, @Body() body: unknown) {
    return this.grants.createPartner(operator, readPartner(body));
  }

  @Get('me/grants')
  @RequireRoles('partner')
  @ApiOperation({ summary: 'The grants the signed-in partner holds: which enterprises (organisation, prefixes) let it read their traceability events, oldest first' })
  myGrants(@CurrentPrincipal() partner: Principal) {
    return this.grants.received(partner);
  }

  @Get()
  @ApiOperation({ summary: 'Partner accounts by username' })
  @ApiQuery({ name: 'page', required: false, description: '1-based page number' })
  @ApiQuery({ name: 'pageSize', required: false, description: '1 to 200, default 50' })
  list(@Query('page') page: QueryValue, @Query('pageSize') pageSize: QueryValue) {
    return this.grants.listPartners(queryInteger('page', page, { min: 1, max: 1_000_000, fallback: 1 }), queryInteger('pageSize', pageSize, { min: 1, max: 200, fallback: 50 }));
  }
}
