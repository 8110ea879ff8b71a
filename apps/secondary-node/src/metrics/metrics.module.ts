import { Module } from '@nestjs/common';
import { RESOLUTION_OBSERVER_SINK } from '../resolution/resolution-observer';
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
  // ResolutionRecorder is where the resolution path's observer relay forwards every resolution.
  providers: [ResolutionLatency, ResolutionRecorder, NodeMetrics, { provide: RESOLUTION_OBSERVER_SINK, useExisting: ResolutionRecorder }],
  exports: [ResolutionRecorder, NodeMetrics, StatisticsModule],
})
export class MetricsModule {}
