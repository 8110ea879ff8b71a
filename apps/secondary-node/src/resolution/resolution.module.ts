import { Module } from '@nestjs/common';
import { RegistryModule } from '../registry/registry.module';
import { UpstreamModule } from '../upstream/upstream.module';
import { CacheInvalidation } from './cache-invalidation';
import { InvalidationChannel } from './invalidation-channel';
import { L1Cache } from './l1-cache';
import { RedisTier } from './redis-tier';
import { RemoteResolver } from './remote-resolver';
import { ResolutionCache } from './resolution-cache';
import { ResolutionHealth } from './resolution-health';
import { ResolutionFastPath } from './resolution-fast-path';
import { ResolutionRoutes } from './resolution-routes';
import { ResolutionService } from './resolution.service';
import { SnmsDetailController } from './snms-detail.controller';

/**
 * Resolution and its front doors: Handle REST GET and the proxy (ResolutionRoutes, straight on
 * Fastify), SNMS detail; the two cache tiers and their invalidation; cross-node resolution through
 * the top level. It reads the registry's repository and prefix rules and listens on the event hub
 * for writes; nothing imports it but the metrics and the app.
 */
@Module({
  imports: [RegistryModule, UpstreamModule],
  controllers: [SnmsDetailController],
  providers: [RemoteResolver, L1Cache, RedisTier, InvalidationChannel, ResolutionCache, ResolutionService, ResolutionHealth, CacheInvalidation, ResolutionRoutes, ResolutionFastPath],
  exports: [ResolutionFastPath, ResolutionService, ResolutionCache, ResolutionHealth, RemoteResolver],
})
export class ResolutionModule {}
