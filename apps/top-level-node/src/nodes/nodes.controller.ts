import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { invalid } from '../errors/top-level-errors';
import { AdminTokenGuard } from '../http/admin-token.guard';
import { integerParam, knownParams, type QueryValue } from '../http/query';
import { NodeDirectoryService } from './node-directory.service';

/**
 * Enrolled nodes with their link status (online / stale / offline), last heartbeat and sequence
 * gaps: operator reads (their endpoints, key ids and outbox depths are not for anyone who asks).
 */
@Controller('api/v1/nodes')
@UseGuards(AdminTokenGuard)
export class NodesController {
  constructor(private readonly directory: NodeDirectoryService) {}

  /** `?page=1&pageSize=50` (pageSize 1-500), ordered by node id: `{items, total, page, pageSize}`. */
  @Get()
  async list(@Query() query: Record<string, QueryValue>) {
    knownParams(query, ['page', 'pageSize']);
    const page = integerParam(query, 'page', 1, 1, 100_000);
    const pageSize = integerParam(query, 'pageSize', 50, 1, 500);
    const { items, total } = await this.directory.list(page, pageSize);
    return { items, total, page, pageSize };
  }

  @Get(':nodeId')
  get(@Param('nodeId') nodeId: string) {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(nodeId)) throw invalid('node id must be 1-64 characters of [A-Za-z0-9._-]');
    return this.directory.get(nodeId);
  }
}
