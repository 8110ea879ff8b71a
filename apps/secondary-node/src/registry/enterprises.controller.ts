import { Body, Controller, HttpCode, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthGuard, CurrentPrincipal, RequireRoles } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import { compileSchema } from '../http/json-schema';
import { ApplicationsService } from './applications.service';

const deactivateSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['reason'],
  // Sent to the top-level node with the filing deletion (it accepts at most 500 characters, with the operator's name).
  properties: { reason: { type: 'string', minLength: 1, maxLength: 400, pattern: '^(?=[\\s\\S]*\\S)[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$' } },
};
const readDeactivation = compileSchema<{ reason: string }>(deactivateSchema, 'deactivation');

/** Operator actions on an approved enterprise (its application is under /applications). */
@ApiTags('enterprises')
@Controller('api/v1/enterprises')
@UseGuards(AuthGuard)
export class EnterprisesController {
  constructor(private readonly applications: ApplicationsService) {}

  @Post(':id/deactivate')
  @HttpCode(200)
  @RequireRoles('operator')
  @ApiBearerAuth()
  @ApiBody({ schema: deactivateSchema })
  @ApiOperation({ summary: 'Deactivate an enterprise: its prefixes stop resolving and registering now; the filing is deleted at the top-level node' })
  deactivate(@CurrentPrincipal() operator: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body() body: unknown) {
    return this.applications.deactivateEnterprise(id, readDeactivation(body).reason, operator);
  }
}
