import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { TOP_LEVEL_CONFIG, type TopLevelConfig } from '../config/top-level-config';
import { AdminTokenGuard } from '../http/admin-token.guard';
import { knownParams, type QueryValue } from '../http/query';
import { ONLINE_INTERVALS, STALE_INTERVALS } from '../nodes/node-directory.service';

/**
 * What the operator's console needs to know about this top level: whether review is manual (only
 * then does it offer approve and reject) and when a node counts as stale. Operator-only, so the
 * console also signs in with it: a token this route accepts is the operator's.
 */
@Controller('api/v1/settings')
@UseGuards(AdminTokenGuard)
export class SettingsController {
  constructor(@Inject(TOP_LEVEL_CONFIG) private readonly config: TopLevelConfig) {}

  @Get()
  settings(@Query() query: Record<string, QueryValue>) {
    knownParams(query, []);
    const heartbeat = this.config.heartbeatIntervalSeconds;
    return {
      operatorTokenRequired: this.config.adminToken !== undefined,
      filingReview: this.config.filingReview,
      filingReviewDelayMs: this.config.filingReviewDelayMs,
      heartbeatIntervalSeconds: heartbeat,
      reportIntervalSeconds: this.config.reportIntervalSeconds,
      nodeStatus: { onlineWithinSeconds: ONLINE_INTERVALS * heartbeat, staleWithinSeconds: STALE_INTERVALS * heartbeat },
    };
  }
}
