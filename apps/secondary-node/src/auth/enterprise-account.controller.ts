import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AuthGuard, CurrentPrincipal, RequireRoles } from './auth.guard';
import { AuthService } from './auth.service';
import type { Principal } from './principal';

/** An operator's help with an enterprise's sign-in account: see it, lift a lock, reset the password. */
@ApiTags('accounts')
@ApiBearerAuth()
@Controller('api/v1/enterprises/:enterpriseId/account')
@UseGuards(AuthGuard)
@RequireRoles('operator')
export class EnterpriseAccountController {
  constructor(private readonly auth: AuthService) {}

  @Get()
  @ApiOperation({ summary: 'The enterprise\'s sign-in account (operator): {enterpriseId, username, status, lockedUntil}' })
  @ApiResponse({ status: 404, description: 'no such enterprise' })
  get(@Param('enterpriseId', new ParseUUIDPipe()) enterpriseId: string) {
    return this.auth.enterpriseAccountView(enterpriseId);
  }

  @Post('unlock')
  @HttpCode(200)
  @ApiOperation({ summary: 'Lift the sign-in lock of the enterprise\'s account and forget its failed sign-ins (operator) → {username, wasLocked}' })
  @ApiResponse({ status: 404, description: 'no such enterprise' })
  unlock(@CurrentPrincipal() operator: Principal, @Param('enterpriseId', new ParseUUIDPipe()) enterpriseId: string) {
    return this.auth.unlockEnterprise(operator, enterpriseId);
  }

  @Post('password-reset')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Reset the enterprise\'s password (operator) → {username, temporaryPassword}: shown once, to hand over out of band; every older token stops working and the lock is lifted',
  })
  @ApiResponse({ status: 404, description: 'no such enterprise' })
  resetPassword(@CurrentPrincipal() operator: Principal, @Param('enterpriseId', new ParseUUIDPipe()) enterpriseId: string) {
    return this.auth.resetEnterprisePassword(operator, enterpriseId);
  }
}
