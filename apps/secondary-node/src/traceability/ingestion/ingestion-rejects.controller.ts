import { Controller, Get, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { parsePrefix } from '@idis/identifier';
import { AuthGuard, CurrentPrincipal, RequireRoles } from '../../auth/auth.guard';
import type { Principal } from '../../auth/principal';
import { DomainError } from '../../errors/domain-errors';
import { type CsvColumn, sendCsv } from '../../http/csv-reply';
import { readFormat, readPaging, readText, readTimeRange, refuseUnknownParameters } from '../../http/listing-query';
import { queryEnum, type QueryValue } from '../../http/query-params';
import { IngestionRejectsService, REJECT_REASONS } from './ingestion-rejects.service';

const PARAMETERS = ['prefix', 'reason', 'from', 'to', 'page', 'pageSize', 'format'] as const;

/**
 * At most this many rows in one CSV export, the newest (a flood of bad messages may leave millions
 * of rejects; narrow with from/to for older ones). The reply says when it cut (X-Export-Truncated).
 */
export const REJECTS_EXPORT_MAX_ROWS = 100_000;

const CSV_COLUMNS: CsvColumn[] = ['id', 'at', 'prefix', 'source', 'topic', 'reason', 'problems', 'eventId', 'payloadExcerpt'].map((key) => ({ key, header: key }));

@ApiTags('ingestion')
@ApiBearerAuth()
@Controller('api/v1/ingestion')
@UseGuards(AuthGuard)
export class IngestionRejectsController {
  constructor(private readonly rejects: IngestionRejectsService) {}

  @Get('rejects')
  @RequireRoles('operator', 'enterprise')
  @ApiOperation({
    summary: 'The latest refused MQTT messages and captures with their reasons, newest first (operator: all; enterprise: under its own prefixes)',
    description: `JSON: \`{items: [{id, at, prefix, source, topic, reason, problems: [{path, message}], eventId?, payloadExcerpt}], total, page, pageSize}\`. \`format=csv\` sends the newest ${REJECTS_EXPORT_MAX_ROWS} matching rejects at most (paging ignored, problems as JSON text), streamed; X-Total-Count names the matching rows, X-Export-Truncated: true says the file holds only the newest.`,
  })
  @ApiQuery({ name: 'prefix', required: false, description: 'One enterprise prefix (an enterprise may name only its own)' })
  @ApiQuery({ name: 'reason', required: false, enum: REJECT_REASONS })
  @ApiQuery({ name: 'from', required: false, description: 'Received at or after: ISO 8601 date or date-time with offset' })
  @ApiQuery({ name: 'to', required: false, description: 'Received before: ISO 8601 date or date-time with offset' })
  @ApiQuery({ name: 'page', required: false, description: '1-based page number' })
  @ApiQuery({ name: 'pageSize', required: false, description: '1 to 200, default 20' })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv'] })
  @ApiProduces('application/json', 'text/csv')
  @ApiResponse({ status: 200, description: '{items, total, page, pageSize}, or text/csv with a UTF-8 BOM' })
  @ApiResponse({ status: 400, description: 'an unknown, repeated or malformed query parameter' })
  @ApiResponse({ status: 403, description: 'a partner; an enterprise naming a prefix that is not its own' })
  async list(@CurrentPrincipal() caller: Principal, @Query() rawQuery: Record<string, QueryValue>, @Res() reply: FastifyReply): Promise<void> {
    const query = refuseUnknownParameters(rawQuery, PARAMETERS);
    const filter = { prefixKey: readPrefixKey(query.prefix), reason: queryEnum('reason', query.reason, REJECT_REASONS), ...readTimeRange(query) };
    const { page, pageSize } = readPaging(query);
    if (readFormat(query) === 'csv') {
      const { total, rows } = await this.rejects.exportRows(caller, filter);
      sendCsv(reply, { filename: 'ingestion-rejects.csv', columns: CSV_COLUMNS, rows, total, maxRows: REJECTS_EXPORT_MAX_ROWS });
      return;
    }
    void reply.header('cache-control', 'no-store').send(await this.rejects.page(caller, filter, page, pageSize));
  }
}

function readPrefixKey(value: QueryValue): string | undefined {
  const raw = readText('prefix', value, 64);
  if (raw === undefined) return undefined;
  try {
    return parsePrefix(raw).prefixKey;
  } catch (error) {
    throw new DomainError('VALIDATION_FAILED', `query parameter prefix is not a handle prefix: ${(error as Error).message}`, [{ path: 'prefix', message: 'not a handle prefix' }]);
  }
}
