import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { LimitsController } from './limits.controller';
import { LimitsInterceptor } from './limits.interceptor';
import { OperatorDiagnostics } from './operator-diagnostics';
import { RequestLimits } from './request-limits';
import { ResolutionLimitHook } from './resolution-limit.hook';

/**
 * Rate limits and quotas (limits.config.ts), GET /api/v1/limits, and who may read /health's
 * diagnostics. Global: the capabilities that count something of their own (MQTT ingestion)
 * inject RequestLimits; it imports no capability but auth (the caller of a token).
 */
@Global()
@Module({
  controllers: [LimitsController],
  providers: [RequestLimits, ResolutionLimitHook, OperatorDiagnostics, { provide: APP_INTERCEPTOR, useClass: LimitsInterceptor }],
  exports: [RequestLimits],
})
export class LimitsModule {}
