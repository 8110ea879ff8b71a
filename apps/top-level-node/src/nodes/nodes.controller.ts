import { Controller, Get, Param } from '@nestjs/common';
import { invalid } from '../errors/top-level-errors';
import { NodeDirectoryService } from './node-directory.service';

/** Enrolled nodes with their link status (online / stale / offline), last heartbeat and sequence gaps. */
@Controller('api/v1/nodes')
export class NodesController {
  constructor(private readonly directory: NodeDirectoryService) {}

  @Get()
  async list() {
    return { items: await this.directory.list() };
  }

  @Get(':nodeId')
  get(@Param('nodeId') nodeId: string) {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(nodeId)) throw invalid('node id must be 1-64 characters of [A-Za-z0-9._-]');
    return this.directory.get(nodeId);
  }
}
