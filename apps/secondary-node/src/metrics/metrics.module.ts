import { Module } from '@nestjs/common';
import { HandleProtocolModule } from '../handle-protocol/handle-protocol.module';
import { ResolutionModule } from '../resolution/resolution.module';
import { HandleProtocolMetrics } from './handle-protocol-metrics';
import { StatisticsModule } from '../statistics/statistics.module';
import { IngestionModule } from '../traceability/ingestion/ingestion.module';
import { SubscriptionsModule } from '../traceability/subscriptions/subscriptions.module';
import { UpstreamModule } from '../upstream/upstream.module';
import { IngestionMetrics } from './ingestion-metrics';
import { LimitsMetrics } from './limits-metrics';
import { MetricsController } from './metrics.controller';
import { NodeMetrics } from './node-metrics';
import { ReplicaMetrics } from './replica-metrics';
import { ResolutionRecorder } from './resolution-recorder';
import { SubscriptionMetrics } from './subscription-metrics';
import { UpstreamMetrics } from './upstream-metrics';

/**
 * GET /metrics. Metrics read the capabilities at scrape time (the caches, the counters, the
 * outbox, ingestion) and listen to every resolution on the event hub (ResolutionRecorder); no
 * capability imports them.
 */
@Module({
  imports: [StatisticsModule, ResolutionModule, UpstreamModule, IngestionModule, SubscriptionsModule, HandleProtocolModule],
  controllers: [MetricsController],
  providers: [ResolutionRecorder, NodeMetrics, UpstreamMetrics, IngestionMetrics, LimitsMetrics, HandleProtocolMetrics, ReplicaMetrics, SubscriptionMetrics],
  exports: [NodeMetrics],
})
export class MetricsModule {}
