import { Injectable } from '@nestjs/common';
import type { ParsedHandle } from '@idis/identifier';
import { IdentifierRepository } from '../registry/identifier.repository';
import { buildFoundRecord, buildMissingRecord } from './record-builder';
import { ResolutionCache } from './resolution-cache';
import type { CacheEntry, Resolution } from './resolution.types';

/**
 * Resolves an identifier of this node: L1 in-process LRU → L2 Redis → PostgreSQL primary-key
 * lookup, filling the caches on the way back; concurrent misses for one key share one load. The
 * answer is the FULL record (or a not-found): front doors choose what the caller may see
 * (`publicValuesJson` for anonymous callers) and report the outcome to RESOLUTION_OBSERVER.
 */
@Injectable()
export class ResolutionService {
  constructor(
    private readonly cache: ResolutionCache,
    private readonly identifiers: IdentifierRepository,
  ) {}

  /** Rejects only when PostgreSQL fails; Redis trouble just means "not cached". */
  resolve(parsed: ParsedHandle): Promise<Resolution> {
    const remembered = this.cache.fromMemory(parsed.key);
    return remembered ? Promise.resolve(remembered) : this.cache.load(parsed.key, parsed.prefixKey, this.loadRecord);
  }

  private readonly loadRecord = async (handleKey: string, prefixKey: string): Promise<CacheEntry> => {
    const record = await this.identifiers.findForResolution(handleKey);
    const now = Date.now();
    return record ? buildFoundRecord(handleKey, record, now) : buildMissingRecord(handleKey, prefixKey, now);
  };
}
