import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { DEFAULT_PERMISSIONS_STRING, visibleValues } from '@idis/identifier';
import { AuthGuard, CurrentPrincipal } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import { DomainError } from '../errors/domain-errors';
import { EventHub } from '../events/event-hub';
import type { ResolutionOutcome } from '../events/node-events';
import { parseHandleOrThrow } from '../http/identifier-input';
import { querySingle, type QueryValue } from '../http/query-params';
import { PrefixAccessService } from '../registry/prefix-access.service';
import { ResolutionService } from './resolution.service';

/** SNMS resolution (GET /identityv2/data/detail): the same caches as every other front door, the SNMS envelope. */
@ApiTags('snms')
@Controller('identityv2/data')
@UseGuards(AuthGuard)
export class SnmsDetailController {
  constructor(
    private readonly resolution: ResolutionService,
    private readonly access: PrefixAccessService,
    private readonly events: EventHub,
  ) {}

  @Get('detail')
  @ApiOperation({ summary: 'Resolve an identifier (values without public read only for the owner and operators)' })
  @ApiQuery({ name: 'handle', required: true })
  async detail(@CurrentPrincipal() caller: Principal | undefined, @Query('handle') handle: QueryValue) {
    const text = querySingle('handle', handle);
    if (!text) throw new DomainError('VALIDATION_FAILED', '缺少必要的请求参数: handle (query parameter handle is required)');
    return { status: 1, message: 'success', data: await this.read(text, caller) };
  }

  private async read(handleText: string, caller: Principal | undefined) {
    const started = process.hrtime.bigint();
    const parsed = parseHandleOrThrow(handleText);
    let outcome: ResolutionOutcome = 'error';
    try {
      const { entry, tier } = await this.resolution.resolve(parsed);
      outcome = entry.kind === 'missing' ? 'not_found' : tier;
      if (entry.kind === 'missing') throw new DomainError('HANDLE_NOT_FOUND', `没有找到标识 (identifier ${handleText} not found)`);
      const privateAllowed = await this.access.canReadPrivate(caller, parsed.prefixKey);
      return {
        prefix: handleText.slice(0, handleText.indexOf('/')),
        handle: handleText,
        templateVersion: entry.templateVersion,
        value: visibleValues(entry.values, privateAllowed).map((v) => ({
          index: v.index,
          type: v.type,
          auth: v.permissions ?? DEFAULT_PERMISSIONS_STRING,
          data: { format: 'string', value: v.data.format === 'string' && typeof v.data.value === 'string' ? v.data.value : JSON.stringify(v.data.value) },
        })),
      };
    } finally {
      this.events.signal('resolution.observed', parsed.prefixKey, outcome, Number(process.hrtime.bigint() - started) / 1e9, 'snms');
    }
  }
}
