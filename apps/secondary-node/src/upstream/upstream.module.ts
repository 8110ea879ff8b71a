import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { RegistryModule } from '../registry/registry.module';
import { ResolutionModule } from '../resolution/resolution.module';
import { FilingPoller } from './filing-poller';
import { OutboxWorker } from './outbox-worker';
import { StatisticsReporter } from './statistics-reporter';
import { TopLevelLinkModule } from './top-level-link.module';
import { UpstreamController } from './upstream.controller';
import { UpstreamMetrics } from './upstream-metrics';
import { UpstreamStatusService } from './upstream-status.service';

/**
 * The secondary node's side of the top-level link: enrolment (TopLevelLink), the outbox worker,
 * the filing poller, statistics reports and heartbeats, the operator's status and outbox views.
 * Without TOP_LEVEL_URL everything here stays idle and the status says "not configured".
 */
@Module({
  imports: [TopLevelLinkModule, RegistryModule, ResolutionModule, MetricsModule],
  controllers: [UpstreamController],
  providers: [OutboxWorker, FilingPoller, StatisticsReporter, UpstreamStatusService, UpstreamMetrics],
  exports: [TopLevelLinkModule, OutboxWorker, FilingPoller, StatisticsReporter],
})
export class UpstreamModule {}
