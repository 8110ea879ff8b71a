import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { PeriodicTask } from '@idis/runtime';
import { NODE_CONFIG, type NodeConfig } from '../config/node-config';
import { STATISTICS_CONFIG, type StatisticsConfig } from '../statistics/statistics.config';
import { UsageCountRepository } from '../statistics/usage-count.repository';
import { MINUTE_MS } from '../statistics/usage-kinds';
import { describeFailure } from './backoff';
import { EnrolmentRepository } from './enrolment.repository';
import type { StatisticsReportPayload } from './outbox-item';
import { OutboxRepository } from './outbox.repository';
import { OutboxWorker } from './outbox-worker';
import { TopLevelLink } from './top-level-link';
import { UPSTREAM_CONFIG, type UpstreamConfig } from './upstream.config';

/** Counts of a minute are final this long after the minute ends (every replica has flushed). */
const SETTLE_MARGIN_MS = 2000;
/** Most reports one pass writes (after a long stop, the backlog goes out over a few passes). */
const MAX_REPORTS_PER_PASS = 100;

/**
 * Statistics reports to the top level, a pass every UPSTREAM_REPORT_INTERVAL_MS.
 *
 * Reports cover closed periods of whole minutes (the granularity of usage_counts), each at most
 * the report interval long (rounded up to a minute): a pass takes the node row lock, reads where
 * the last report ended, sums the counts of each closed period, and writes a statistics-report
 * outbox row with the next sequence number in the same transaction as the new progress, so a
 * period is reported exactly once whatever the number of replicas. The outbox delivers it; the
 * top level treats a repeated period as a duplicate.
 */
@Injectable()
export class StatisticsReporter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Reporting');
  private readonly task: PeriodicTask<number>;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeConfig,
    @Inject(UPSTREAM_CONFIG) private readonly upstreamConfig: UpstreamConfig,
    @Inject(STATISTICS_CONFIG) private readonly statisticsConfig: StatisticsConfig,
    private readonly link: TopLevelLink,
    private readonly enrolment: EnrolmentRepository,
    private readonly usageCounts: UsageCountRepository,
    private readonly outboxRepository: OutboxRepository,
    private readonly outbox: OutboxWorker,
  ) {
    this.task = new PeriodicTask(() => this.reportClosedPeriods(), {
      intervalMs: upstreamConfig.reportIntervalMs,
      onError: (error) => this.logger.warn(`report pass failed: ${describeFailure(error)}`),
    });
  }

  onApplicationBootstrap(): void {
    if (this.link.configured) this.task.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.task.stop();
  }

  /** Writes a report outbox row for every closed, unreported period; returns how many. */
  async reportClosedPeriods(now: number = Date.now()): Promise<number> {
    if (!this.link.enrolment) return 0;
    const nodeId = this.config.nodeId;
    const periodMs = Math.max(MINUTE_MS, Math.ceil(this.upstreamConfig.reportIntervalMs / MINUTE_MS) * MINUTE_MS);
    const closedEnd = Math.floor((now - this.statisticsConfig.flushIntervalMs - SETTLE_MARGIN_MS) / MINUTE_MS) * MINUTE_MS;
    const written = await this.enrolment.underNodeLock(nodeId, 'report', async (manager) => {
      const progress = await this.enrolment.reportProgress(manager, nodeId);
      if (!progress) return 0;
      let start = progress.reportedUntil?.getTime();
      if (start === undefined) {
        const earliest = (await this.usageCounts.firstCountedMinute(manager))?.getTime();
        start = Math.min(earliest ?? closedEnd - MINUTE_MS, closedEnd - MINUTE_MS);
      }
      let sequence = progress.sequence;
      let count = 0;
      while (start < closedEnd && count < MAX_REPORTS_PER_PASS) {
        const end = Math.min(start + periodMs, closedEnd);
        const volumes = await this.usageCounts.volumesPerPrefix(new Date(start), new Date(end), manager);
        sequence += 1;
        const payload: StatisticsReportPayload = { sequence, periodStartMs: start, periodEndMs: end, volumes };
        await this.outboxRepository.enqueue(manager, { kind: 'statistics-report', clientTransactionId: `report-${start}-${end}`, payload });
        start = end;
        count += 1;
      }
      if (count > 0) await this.enrolment.saveReportProgress(manager, nodeId, { sequence, reportedUntil: new Date(start) });
      return count;
    });
    if (written > 0) this.outbox.kick();
    return written;
  }
}
