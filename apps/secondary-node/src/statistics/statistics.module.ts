import { Module } from '@nestjs/common';
import { NODE_CONFIG, type NodeConfig } from '../config/node-config';
import { FOREIGN_PREFIX_LISTENER } from '../resolution/foreign-prefix-listener';
import { StatisticsController } from './statistics.controller';
import { StatisticsService } from './statistics.service';
import { UsageCountRepository } from './usage-count.repository';
import { UsageCounter } from './usage-counter';

/**
 * Counting for operators: UsageCounter (record resolutions and registrations, flushed to
 * usage_counts) and the /api/v1/stats series.
 */
@Module({
  controllers: [StatisticsController],
  providers: [
    UsageCountRepository,
    StatisticsService,
    {
      provide: UsageCounter,
      inject: [UsageCountRepository, NODE_CONFIG],
      useFactory: (repository: UsageCountRepository, config: NodeConfig) =>
        new UsageCounter(repository, { flushIntervalMs: config.statistics.flushIntervalMs }),
    },
    // Cross-node resolution tells the counter which foreign prefixes are real (located by the top level).
    { provide: FOREIGN_PREFIX_LISTENER, useExisting: UsageCounter },
  ],
  exports: [UsageCounter],
})
export class StatisticsModule {}
