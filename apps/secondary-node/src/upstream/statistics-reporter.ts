import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { NODE_CONFIG, type NodeConfig } from '../config/node-config';
import { STATISTICS_CONFIG, type StatisticsConfig } from '../statistics/statistics.config';
import { UPSTREAM_CONFIG, type UpstreamConfig } from './upstream.config';
import { HealthBoard } from '../health/health-board';
import { UsageCountRepository } from '../statistics/usage-count.repository';
import { MINUTE_MS } from '../statistics/usage-kinds';
import { describeFailure } from './backoff';
import { EnrolmentRepository } from './enrolment.repository';
import type { StatisticsReportPayload } from './outbox-item';
import { OutboxRepository } from './outbox.repository';
import { OutboxWorker } from './outbox-worker';
import { TopLevelLink } from './top-level-link';

/** Counts of a minute are final this long after the minute ends (every replica has flushed). */
const SETTLE_MARGIN_MS = 2000;
/** Most reports one pass writes (after a long stop, the backlog goes out over a few passes). */
const MAX_REPORTS_PER_PASS = 100;

/**
 * Statistics reports and heartbeats to the top level.
 *
 * Reports cover closed periods of whole minutes (the granularity of usage_counts), each at most
 * the report interval long (rounded up to a minute): a pass takes the node row lock, reads where
 * the last report ended, sums the counts of each closed period, and writes a statistics-report
 * outbox row with the next sequence number in the same transaction as the new progress, so a
 * period is reported exactly once whatever the number of replicas. The outbox delivers it; the
 * top level treats a repeated period as a duplicate.
 *
 * Heartbeats carry their own sequence (shared by replicas through the node row), the node's
 * health, endpoints and outbox depth; the last acknowledgement is kept.
 */
@Injectable()
export class StatisticsReporter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Reporting');
  private timers: NodeJS.Timeout[] = [];
  lastHeartbeatAckAt: Date | undefined;
  lastHeartbeatSequence: number | undefined;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeConfig,
    @Inject(UPSTREAM_CONFIG) private readonly upstreamConfig: UpstreamConfig,
    @Inject(STATISTICS_CONFIG) private readonly statisticsConfig: StatisticsConfig,
    private readonly link: TopLevelLink,
    private readonly enrolment: EnrolmentRepository,
    private readonly usageCounts: UsageCountRepository,
    private readonly outboxRepository: OutboxRepository,
    private readonly outbox: OutboxWorker,
    private readonly health: HealthBoard,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.link.configured) return;
    const report = setInterval(() => void this.reportClosedPeriods().catch((e: unknown) => this.logger.warn(`report pass failed: ${describeFailure(e)}`)), this.upstreamConfig.reportIntervalMs);
    const beat = setInterval(() => void this.heartbeat().catch(() => undefined), this.upstreamConfig.heartbeatIntervalMs);
    this.timers = [report, beat];
    for (const timer of this.timers) timer.unref();
    // The first heartbeat as soon as enrolment is done, so the link state is known early.
    void this.link.whenEnrolled().then(() => this.heartbeat().catch(() => undefined));
  }

  onModuleDestroy(): void {
    for (const timer of this.timers) clearInterval(timer);
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

  /** One heartbeat; resolves with the acknowledgement, rejects when the top level did not answer. */
  async heartbeat() {
    if (!this.link.enrolment) return undefined;
    const sequence = await this.enrolment.nextHeartbeatSequence(this.config.nodeId);
    if (sequence === undefined) return undefined;
    const depth = await this.outboxRepository.depth();
    // The node's own health as /health sees it, without the link this heartbeat is travelling on.
    const status = this.health.check('cache')?.status === 'down' ? 'degraded' : 'ok';
    const ack = await this.link.call((client, credentials) =>
      client.heartbeat({ sequence, sentAtMs: Date.now(), status, endpoints: this.link.endpoints(), outboxDepth: depth.pending + depth.failed }, credentials),
    );
    this.lastHeartbeatAckAt = new Date();
    this.lastHeartbeatSequence = sequence;
    await this.enrolment.recordHeartbeatAck(this.config.nodeId, this.lastHeartbeatAckAt);
    return ack;
  }
}
