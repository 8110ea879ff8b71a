import { Module } from '@nestjs/common';
import { RESOLUTION_CACHE_STATS } from '../metrics/resolution-cache-stats';
import { IdentifierRepository } from '../registry/identifier.repository';
import { InvalidationChannel } from './invalidation-channel';
import { L1Cache } from './l1-cache';
import { RedisTier } from './redis-tier';
import { ResolutionCache } from './resolution-cache';
import { ResolutionHealth } from './resolution-health';
import { RESOLUTION_OBSERVER, ResolutionObserverRelay } from './resolution-observer';
import { ResolutionService } from './resolution.service';
import { RemoteResolver } from './remote-resolver';
import { TopLevelLinkModule } from '../upstream/top-level-link.module';

/**
 * Resolution with its two cache tiers. Needs NODE_CONFIG and the TypeORM DataSource from global
 * modules. It holds its own IdentifierRepository (stateless) so that the registry can import this
 * module for ResolutionCache.invalidate without an import cycle. Import it wherever needed: it is
 * a static module, so every importer shares one instance (one L1, one pair of Redis connections).
 */
@Module({
  imports: [TopLevelLinkModule],
  providers: [
    IdentifierRepository,
    RemoteResolver,
    L1Cache,
    RedisTier,
    InvalidationChannel,
    ResolutionCache,
    ResolutionService,
    ResolutionHealth,
    { provide: RESOLUTION_OBSERVER, useClass: ResolutionObserverRelay },
    { provide: RESOLUTION_CACHE_STATS, useExisting: ResolutionHealth },
  ],
  exports: [RemoteResolver, ResolutionService, ResolutionCache, ResolutionHealth, RESOLUTION_OBSERVER, RESOLUTION_CACHE_STATS],
})
export class ResolutionModule {}
