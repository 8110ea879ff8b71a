import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuthGuard, RequireRoles } from '../auth/auth.guard';
import { DomainError } from '../errors/domain-errors';
import { type CsvColumn, sendCsv } from '../http/csv-reply';
import { readFormat, readPaging, refuseUnknownParameters } from '../http/listing-query';
import { queryEnum, type QueryValue } from '../http/query-params';
import type { OutboxStatus } from './outbox-item';
import { UpstreamStatusService } from './upstream-status.service';

const STATUSES = ['pending', 'failed', 'delivered'] as const;
const OUTBOX_PARAMETERS = ['state', 'status', 'page', 'pageSize', 'format'] as const;

const OUTBOX_CSV_COLUMNS: CsvColumn[] = ['id', 'kind', 'target', 'status', 'attempts', 'lastError', 'nextAttemptAt', 'createdAt', 'deliveredAt', 'clientTransactionId', 'requestId'].map((key) => ({
  key,
  header: key,
}));

/** `state` (the console's name) or `status` (the older one); both given must agree. */
function readState(query: Record<string, QueryValue>): OutboxStatus | undefined {
  const state = queryEnum('state', query.state, STATUSES);
  const status = queryEnum('status', query.status, STATUSES);
  if (state !== undefined && status !== undefined && state !== status) {
    throw new DomainError('VALIDATION_FAILED', `query parameters state and status name the same filter; give one (got state=${state}, status=${status})`, [{ path: 'state', message: 'disagrees with status' }]);
  }
  return state ?? status;
}

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
  @ApiOperation({
    summary: 'Upstream items (filings, statistics reports) with attempts, last error and next attempt; newest first',
    description:
      'JSON: `{items: [{id, kind, target, clientTransactionId, status, attempts, lastError, nextAttemptAt, createdAt, deliveredAt, payload, response, requestId}], total, page, pageSize}`. `format=csv` sends every matching item (paging ignored; payload and response left out), streamed; X-Total-Count names the rows.',
  })
  @ApiQuery({ name: 'state', required: false, enum: STATUSES, description: 'Only items in this state (`status` is the same parameter under its older name)' })
  @ApiQuery({ name: 'status', required: false, enum: STATUSES, description: 'Older name of `state`' })
  @ApiQuery({ name: 'page', required: false, description: '1-based page number' })
  @ApiQuery({ name: 'pageSize', required: false, description: '1 to 200, default 50' })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv'] })
  @ApiProduces('application/json', 'text/csv')
  @ApiResponse({ status: 200, description: '{items, total, page, pageSize}, or text/csv with a UTF-8 BOM' })
  @ApiResponse({ status: 400, description: 'an unknown, repeated or malformed query parameter, or state and status that disagree' })
  async outbox(@Query() rawQuery: Record<string, QueryValue>, @Res() reply: FastifyReply): Promise<void> {
    const query = refuseUnknownParameters(rawQuery, OUTBOX_PARAMETERS);
    const state = readState(query);
    const { page, pageSize } = readPaging(query, 50);
    if (readFormat(query) === 'csv') {
      const { total, rows } = await this.status.exportOutbox(state);
      sendCsv(reply, { filename: 'upstream-outbox.csv', columns: OUTBOX_CSV_COLUMNS, rows, total });
      return;
    }
    void reply.header('cache-control', 'no-store').send(await this.status.outboxItems(state, page, pageSize));
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
