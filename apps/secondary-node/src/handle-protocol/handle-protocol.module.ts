import { Module } from '@nestjs/common';
import { ResolutionModule } from '../resolution/resolution.module';
import { UpstreamModule } from '../upstream/upstream.module';
import { HandleAnswerer } from './handle-answerer';
import { HandleProtocolServer } from './handle-protocol.server';
import { HandleProtocolStats } from './handle-protocol-stats';
import { SiteRecord } from './site-record';

/**
 * The Handle protocol front door (RFC 3652 on UDP and TCP, port 2641): a thin transport over the
 * resolution service and its caches. Counted under the `handle` door on the event hub; /metrics
 * reads HandleProtocolStats.
 */
@Module({
  imports: [ResolutionModule, UpstreamModule],
  providers: [HandleProtocolStats, SiteRecord, HandleAnswerer, HandleProtocolServer],
  exports: [HandleProtocolServer, HandleProtocolStats],
})
export class HandleProtocolModule {}
