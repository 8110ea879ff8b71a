import { Module } from '@nestjs/common';
import { RegistryModule } from '../registry/registry.module';
import { STATISTICS_CONFIG, type StatisticsConfig } from './statistics.config';
import { StatisticsController } from './statistics.controller';
import { StatisticsService } from './statistics.service';
import { UsageCountRepository } from './usage-count.repository';
import { UsageCounter } from './usage-counter';
import { UsageListener } from './usage-listener';

/**
 * Counting for operators: UsageCounter (record resolutions and registrations, flushed to
 * usage_counts) and the /api/v1/stats series. UsageCountRepository is exported for upstream's
 * statistics reports (volumes per prefix over a period).
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
  ],
  exports: [UsageCounter, UsageCountRepository],
})
export class StatisticsModule {}
