import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AuthGuard, RequireRoles } from '../auth/auth.guard';
import { queryEnum, queryInteger, type QueryValue } from '../http/query-params';
import { UpstreamStatusService } from './upstream-status.service';

const STATUSES = ['pending', 'failed', 'delivered'] as const;

@ApiTags('node')
@Controller('api/v1')
@UseGuards(AuthGuard)
export class UpstreamController {
  constructor(private readonly status: UpstreamStatusService) {}

  @Get('node/status')
  @RequireRoles('operator')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Enrolment with the top-level node, link state, last heartbeat ack, outbox depth, last statistics report' })
  nodeStatus() {
    return this.status.status();
  }

  @Get('upstream/outbox')
  @RequireRoles('operator')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Upstream items (filings, statistics reports) with attempts, last error and next attempt; newest first' })
  @ApiQuery({ name: 'status', required: false, enum: STATUSES })
  @ApiQuery({ name: 'page', required: false, description: '1-based page number' })
  @ApiQuery({ name: 'pageSize', required: false, description: '1 to 200, default 50' })
  outbox(@Query('status') status: QueryValue, @Query('page') page: QueryValue, @Query('pageSize') pageSize: QueryValue) {
    return this.status.outboxItems(
      queryEnum('status', status, STATUSES),
      queryInteger('page', page, { min: 1, max: 1_000_000, fallback: 1 }),
      queryInteger('pageSize', pageSize, { min: 1, max: 200, fallback: 50 }),
    );
  }

  @Post('upstream/outbox/:id/retry')
  @HttpCode(200)
  @RequireRoles('operator')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Put a failed (or waiting) item back in line now, attempts reset' })
  retry(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.status.retry(id);
  }
}
