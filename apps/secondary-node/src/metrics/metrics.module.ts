import { Module } from '@nestjs/common';
import { StatisticsModule } from '../statistics/statistics.module';
import { MetricsController } from './metrics.controller';
import { NodeMetrics } from './node-metrics';
import { ResolutionLatency } from './resolution-latency';
import { ResolutionRecorder } from './resolution-recorder';

/**
 * GET /metrics and ResolutionRecorder, the one call the resolution path makes per resolution.
 * The cache gauges read a RESOLUTION_CACHE_STATS provider if some module declares one.
 */
@Module({
  imports: [StatisticsModule],
  controllers: [MetricsController],
  providers: [ResolutionLatency, ResolutionRecorder, NodeMetrics],
  exports: [ResolutionRecorder, NodeMetrics, StatisticsModule],
})
export class MetricsModule {}
