import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AuthGuard, CurrentPrincipal, RequireRoles } from '../../auth/auth.guard';
import type { Principal } from '../../auth/principal';
import { compileSchema } from '../../http/json-schema';
import { queryBoolean, type QueryValue } from '../../http/query-params';
import { MqttAccessService } from './mqtt-access.service';

const credentialSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    label: { type: 'string', minLength: 1, maxLength: 100, pattern: '^(?=.*\\S)[^\\u0000-\\u001f\\u007f]*$', description: 'What the credential is for, e.g. the publishing system' },
  },
};
const readCredential = compileSchema<{ label?: string }>(credentialSchema, 'MQTT credential');

/**
 * An enterprise's MQTT credentials: the broker lets each publish only under the enterprise's own
 * prefixes (`idis/v1/{prefix}/events`) and subscribe only to its own reject/ack topics.
 */
@ApiTags('traceability')
@ApiBearerAuth()
@Controller('api/v1/enterprises/:enterpriseId/mqtt-credentials')
@UseGuards(AuthGuard)
@RequireRoles('enterprise', 'operator')
export class MqttCredentialsController {
  constructor(private readonly access: MqttAccessService) {}

  @Post()
  @ApiOperation({ summary: 'Create an MQTT credential (the enterprise itself or an operator) → 201 with the username and the password, shown only this once' })
  @ApiBody({ schema: credentialSchema, required: false })
  create(@CurrentPrincipal() caller: Principal, @Param('enterpriseId', new ParseUUIDPipe()) enterpriseId: string, @Body() body: unknown) {
    const input = readCredential(body ?? {});
    return this.access.create(caller, enterpriseId, input.label ?? null);
  }

  @Get()
  @ApiOperation({ summary: 'The enterprise\'s MQTT credentials, oldest first (never their passwords)' })
  @ApiQuery({ name: 'includeRevoked', required: false, description: 'true to list revoked credentials too' })
  list(@CurrentPrincipal() caller: Principal, @Param('enterpriseId', new ParseUUIDPipe()) enterpriseId: string, @Query('includeRevoked') includeRevoked: QueryValue) {
    return this.access.list(caller, enterpriseId, queryBoolean('includeRevoked', includeRevoked) ?? false);
  }

  @Delete(':credentialId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an MQTT credential: new connections are refused at once and its live sessions are disconnected' })
  async revoke(
    @CurrentPrincipal() caller: Principal,
    @Param('enterpriseId', new ParseUUIDPipe()) enterpriseId: string,
    @Param('credentialId', new ParseUUIDPipe()) credentialId: string,
  ): Promise<void> {
    await this.access.revoke(caller, enterpriseId, credentialId);
  }
}
