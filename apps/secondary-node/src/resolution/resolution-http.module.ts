import { Module } from '@nestjs/common';
import { RegistryModule } from '../registry/registry.module';
import { ResolutionRoutes } from './resolution-routes';
import { ResolutionModule } from './resolution.module';

/**
 * The resolution front doors that answer from the caches: Handle REST GET and the proxy. Kept
 * apart from ResolutionModule because they need the registry (prefix ownership), which itself
 * needs ResolutionModule to invalidate.
 */
@Module({
  imports: [ResolutionModule, RegistryModule],
  providers: [ResolutionRoutes],
})
export class ResolutionHttpModule {}
