import { Controller, Get, Headers, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuthGuard, CurrentPrincipal, RequireRoles } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import type { QueryValue } from '../http/query-params';
import { parseAuditQuery } from './audit-query';
import { AUDIT_MAX_PAGE, AuditService } from './audit.service';

/** The audit log, for operators (every row) and enterprises (their own rows); partners are refused. */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('api/v1/audit')
@UseGuards(AuthGuard)
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @RequireRoles('operator', 'enterprise')
  @ApiOperation({
    summary: 'Audit log rows, newest first: who (actor, role, API key), action, target, owner, outcome, digests of before/after, request id, client IP, time, chain hashes',
    description:
      'JSON pages of at most 1000 rows with `nextCursor` (pass it back as `cursor`), or a CSV export (`Accept: text/csv` or `format=csv`) streamed up to AUDIT_EXPORT_MAX_ROWS rows; when more rows match, the `X-Next-Cursor` header resumes after the last one exported. An enterprise sees only the rows owned by it or its prefixes.',
  })
  @ApiQuery({ name: 'from', required: false, description: 'ISO 8601, inclusive' })
  @ApiQuery({ name: 'to', required: false, description: 'ISO 8601, exclusive' })
  @ApiQuery({ name: 'actor', required: false, description: 'username of the caller' })
  @ApiQuery({ name: 'action', required: false, description: 'e.g. handle.create, or handle.* for every handle action' })
  @ApiQuery({ name: 'target', required: false, description: 'e.g. a handle, enterprise:<id>, grant:<id>' })
  @ApiQuery({ name: 'owner', required: false, description: 'enterprise prefix (lower case) or enterprise id' })
  @ApiQuery({ name: 'outcome', required: false, enum: ['ok', 'refused'] })
  @ApiQuery({ name: 'limit', required: false, description: `rows per page, 1-${AUDIT_MAX_PAGE} (default 100); for CSV, at most this many rows` })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiQuery({ name: 'format', required: false, enum: ['json', 'csv'] })
  @ApiProduces('application/json', 'text/csv')
  @ApiResponse({ status: 200, description: '{items: [...], nextCursor} or text/csv' })
  @ApiResponse({ status: 403, description: 'a partner, or any role but operator and enterprise' })
  async list(@CurrentPrincipal() caller: Principal, @Query() query: Record<string, QueryValue>, @Headers('accept') accept: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    const parsed = parseAuditQuery(query, accept);
    if (parsed.format === 'json') {
      void reply.header('cache-control', 'no-store').send(await this.audit.page(caller, parsed));
      return;
    }
    const { stream, nextCursor } = await this.audit.exportCsv(caller, parsed);
    if (nextCursor) void reply.header('x-next-cursor', nextCursor);
    void reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="audit.csv"')
      .header('cache-control', 'no-store')
      .send(stream);
  }
}
