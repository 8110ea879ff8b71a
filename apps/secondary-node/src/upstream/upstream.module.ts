import { Module } from '@nestjs/common';
import { FilingCheck } from './filing-check';
import { FilingPoller } from './filing-poller';
import { FilingRequests } from './filing-requests';
import { OutboxWorker } from './outbox-worker';
import { StatisticsReporter } from './statistics-reporter';
import { TopLevelLink } from './top-level-link';
import { UpstreamController } from './upstream.controller';
import { UpstreamRepository } from './upstream.repository';
import { UpstreamStatusService } from './upstream-status.service';

/**
 * The secondary node's side of the top-level link: enrolment (TopLevelLink), the EPP check and
 * the outbox for the registry's filings (heard on the event hub), the outbox worker, the filing
 * poller (outcomes announced as 'filing.completed'), statistics reports and heartbeats, the
 * operator's status and outbox views. It imports no other capability. Without TOP_LEVEL_URL
 * everything here stays idle and the status says "not configured".
 */
@Module({
  controllers: [UpstreamController],
  providers: [UpstreamRepository, TopLevelLink, FilingCheck, FilingRequests, OutboxWorker, FilingPoller, StatisticsReporter, UpstreamStatusService],
  exports: [TopLevelLink, UpstreamRepository, OutboxWorker, FilingPoller, StatisticsReporter],
})
export class UpstreamModule {}
