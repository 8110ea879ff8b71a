import { Module } from '@nestjs/common';
import { StatisticsModule } from '../statistics/statistics.module';
import { EnrolmentRepository } from './enrolment.repository';
import { FilingCheck } from './filing-check';
import { FilingPoller } from './filing-poller';
import { FilingRequests } from './filing-requests';
import { HeartbeatTask } from './heartbeat-task';
import { OutboxRepository } from './outbox.repository';
import { OutboxWorker } from './outbox-worker';
import { StatisticsReporter } from './statistics-reporter';
import { TopLevelLink } from './top-level-link';
import { UpstreamController } from './upstream.controller';
import { UpstreamStatusService } from './upstream-status.service';

/**
 * The secondary node's side of the top-level link: enrolment (TopLevelLink), the EPP check and
 * the outbox for the registry's filings (heard on the event hub), the outbox worker, the filing
 * poller (outcomes announced as 'filing.completed'), statistics reports (the usage sums read
 * through StatisticsModule, the one capability it imports) and heartbeats, the operator's status
 * and outbox views. Without TOP_LEVEL_URL everything here stays idle and the status says
 * "not configured".
 */
@Module({
  imports: [StatisticsModule],
  controllers: [UpstreamController],
  providers: [
    EnrolmentRepository,
    OutboxRepository,
    TopLevelLink,
    FilingCheck,
    FilingRequests,
    OutboxWorker,
    FilingPoller,
    StatisticsReporter,
    HeartbeatTask,
    UpstreamStatusService,
  ],
  exports: [TopLevelLink, OutboxRepository, OutboxWorker, FilingPoller, StatisticsReporter, HeartbeatTask],
})
export class UpstreamModule {}
