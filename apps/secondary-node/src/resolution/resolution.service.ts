import { Injectable } from '@nestjs/common';
import type { ParsedHandle } from '@idis/identifier';
import { IdentifierRepository } from '../registry/identifier.repository';
import { buildFoundRecord, buildMissingRecord } from './record-builder';
import { RemoteResolver } from './remote-resolver';
import { ResolutionCache } from './resolution-cache';
import type { CacheEntry, Resolution } from './resolution.types';

const NO_HOPS: readonly string[] = [];

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
    private readonly remote: RemoteResolver,
  ) {}

  /** The L1 answer, when there is one: what resolve() would answer at once, without a promise. */
  fromMemory(parsed: ParsedHandle): Resolution | undefined {
    return this.cache.fromMemory(parsed.key);
  }

  /**
   * Rejects when PostgreSQL fails, or for a foreign prefix (not under this node's secondary prefix,
   * linked to a top level) when neither the top level nor the serving node can answer and nothing
   * is cached; Redis trouble just means "not cached". `via`: the nodes a cross-node request has
   * already passed (X-IDIS-Via), to cut loops.
   */
  resolve(parsed: ParsedHandle, via: readonly string[] = NO_HOPS): Promise<Resolution> {
    const remembered = this.cache.fromMemory(parsed.key);
    if (remembered) return Promise.resolve(remembered);
    return this.resolveMissed(parsed, via);
  }

  /**
   * resolve() for a caller whose own fromMemory() just missed: L1 is not read again. Each read of
   * L1 counts in its frequency sketch, so a second read would count every miss twice and every hit
   * once, and the admission policy would favour the long tail over the keys read often.
   */
  resolveMissed(parsed: ParsedHandle, via: readonly string[] = NO_HOPS): Promise<Resolution> {
    if (this.remote.isForeign(parsed.prefixKey)) {
      // Checked before any cache, so a looping request is refused even when the record is cached in L2.
      this.remote.forwardedVia(via);
      return this.cache.load(parsed.key, parsed.prefixKey, () => this.remote.load(parsed, via));
    }
    return this.cache.load(parsed.key, parsed.prefixKey, this.loadRecord);
  }

  private readonly loadRecord = async (handleKey: string, prefixKey: string): Promise<CacheEntry> => {
    const record = await this.identifiers.findForResolution(handleKey);
    const now = Date.now();
    return record ? buildFoundRecord(handleKey, record, now) : buildMissingRecord(handleKey, prefixKey, now);
  };
}
