import { Module } from '@nestjs/common';
import { RegistryModule } from '../registry/registry.module';
import { STATISTICS_CONFIG, type StatisticsConfig } from './statistics.config';
import { StatisticsController } from './statistics.controller';
import { OverviewService } from './overview.service';
import { ResolutionLatency } from './resolution-latency';
import { StatisticsService } from './statistics.service';
import { UsageCountRepository } from './usage-count.repository';
import { UsageCounter } from './usage-counter';
import { UsageListener } from './usage-listener';

/**
 * Counting for operators: UsageCounter (record resolutions, their front doors and registrations,
 * flushed to usage_counts, rolled up by hour and day), ResolutionLatency (the histogram metrics
 * export and the overview's p99), the /api/v1/stats series, overview and top prefixes.
 * UsageCountRepository is exported for upstream's statistics reports (volumes per prefix over a period).
 */
@Module({
  imports: [RegistryModule],
  controllers: [StatisticsController],
  providers: [
    UsageCountRepository,
    StatisticsService,
    {
      provide: UsageCounter,
      inject: [UsageCountRepository, STATISTICS_CONFIG],
      useFactory: (repository: UsageCountRepository, config: StatisticsConfig) =>
        new UsageCounter(repository, { flushIntervalMs: config.flushIntervalMs }),
    },
    UsageListener,
    ResolutionLatency,
    OverviewService,
  ],
  exports: [UsageCounter, UsageCountRepository, ResolutionLatency],
})
export class StatisticsModule {}
