import { Injectable } from '@nestjs/common';
import { ResolutionCache } from '../resolution/resolution-cache';
import type { RegistrationOperation } from '../statistics/usage-kinds';
import { UsageCounter } from '../statistics/usage-counter';

export interface WrittenIdentifier {
  handleKey: string;
  prefixKey: string;
}

/**
 * What follows every committed identifier write, before the write is acknowledged: the cached
 * copies are invalidated on every replica (L1, L2 and the pub/sub channel) and the registration
 * is counted for its enterprise prefix.
 */
@Injectable()
export class WriteEffects {
  constructor(
    private readonly cache: ResolutionCache,
    private readonly usage: UsageCounter,
  ) {}

  async committed(operation: RegistrationOperation, written: readonly WrittenIdentifier[]): Promise<void> {
    if (written.length === 0) return;
    const perPrefix = new Map<string, number>();
    for (const row of written) perPrefix.set(row.prefixKey, (perPrefix.get(row.prefixKey) ?? 0) + 1);
    for (const [prefixKey, count] of perPrefix) this.usage.recordRegistrations(prefixKey, count, operation);
    await this.cache.invalidate(written.map((row) => row.handleKey));
  }
}
