import { Inject, Injectable } from '@nestjs/common';
import { TOP_LEVEL_CONFIG, type TopLevelConfig } from '../config/top-level-config';
import { TopLevelError } from '../errors/top-level-errors';
import type { NodeEntity } from './node.entity';
import { NodeRepository } from './node.repository';

export type LinkStatus = 'online' | 'stale' | 'offline';

/** Online within 3 heartbeat intervals, stale within 10, offline after that (or never heard from). */
export const ONLINE_INTERVALS = 3;
export const STALE_INTERVALS = 10;

export interface NodeView {
  nodeId: string;
  secondaryPrefix: string;
  status: LinkStatus;
  lastHeartbeatAt: string | null;
  reportedStatus: string | null;
  endpoints: Array<{ kind: string; url: string }>;
  softwareVersion: string;
  outboxDepth: number;
  enrolledAt: string;
  credentialsIssuedAt: string;
  keyId: string;
  lastHeartbeatSequence: number | null;
  lastReportSequence: number | null;
  gaps: { heartbeatMissing: number; reportMissing: number };
}

/** The operator's view of enrolled nodes (HTTP). */
@Injectable()
export class NodeDirectoryService {
  constructor(
    private readonly nodes: NodeRepository,
    @Inject(TOP_LEVEL_CONFIG) private readonly config: TopLevelConfig,
  ) {}

  async list(page: number, pageSize: number): Promise<{ items: NodeView[]; total: number }> {
    const now = Date.now();
    const { items, total } = await this.nodes.listPage((page - 1) * pageSize, pageSize);
    return { items: items.map((node) => this.view(node, now)), total };
  }

  async get(nodeId: string): Promise<NodeView & { recentGaps: Array<{ stream: string; firstMissing: number; lastMissing: number; detectedAt: Date }> }> {
    const node = await this.nodes.findById(nodeId);
    if (!node) throw new TopLevelError('NOT_FOUND', `node ${nodeId} is not enrolled`);
    return { ...this.view(node, Date.now()), recentGaps: await this.nodes.gapsOf(nodeId, 100) };
  }

  private view(node: NodeEntity, now: number): NodeView {
    const intervalMs = this.config.heartbeatIntervalSeconds * 1000;
    const age = node.lastHeartbeatAt ? now - node.lastHeartbeatAt.getTime() : Infinity;
    const status: LinkStatus = age <= ONLINE_INTERVALS * intervalMs ? 'online' : age <= STALE_INTERVALS * intervalMs ? 'stale' : 'offline';
    return {
      nodeId: node.nodeId,
      secondaryPrefix: node.secondaryPrefix,
      status,
      lastHeartbeatAt: node.lastHeartbeatAt?.toISOString() ?? null,
      reportedStatus: node.heartbeatStatus,
      endpoints: node.endpoints,
      softwareVersion: node.softwareVersion,
      outboxDepth: Number(node.outboxDepth),
      enrolledAt: node.enrolledAt.toISOString(),
      credentialsIssuedAt: node.credentialsIssuedAt.toISOString(),
      keyId: node.keyId,
      lastHeartbeatSequence: node.lastHeartbeatSequence === null ? null : Number(node.lastHeartbeatSequence),
      lastReportSequence: node.lastReportSequence === null ? null : Number(node.lastReportSequence),
      gaps: { heartbeatMissing: Number(node.heartbeatMissingTotal), reportMissing: Number(node.reportMissingTotal) },
    };
  }
}
