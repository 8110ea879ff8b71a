import { Inject, Injectable } from '@nestjs/common';
import type { ResolvePrefixResponse, SiteRecord } from '@idis/contracts';
import { parsePrefix } from '@idis/identifier';
import { TOP_LEVEL_CONFIG, type TopLevelConfig } from '../config/top-level-config';
import { invalid } from '../errors/top-level-errors';
import type { FilingEntity } from '../filing/filing.entity';
import { FilingRepository } from '../filing/filing.repository';
import type { NodeEntity } from '../nodes/node.entity';
import { NodeRepository } from '../nodes/node.repository';

export interface PrefixLocation {
  /** The prefix the answer is about: the longest approved filing that matched, or the secondary prefix. */
  prefix: string;
  node: NodeEntity;
  filing: FilingEntity | undefined;
}

/**
 * Which node serves a prefix: the longest approved filing among the prefix and its ancestors
 * (88.200.5.1 → 88.200.5), or, for a secondary prefix itself, the node that holds it.
 */
@Injectable()
export class PrefixResolutionService {
  constructor(
    private readonly filings: FilingRepository,
    private readonly nodes: NodeRepository,
    @Inject(TOP_LEVEL_CONFIG) private readonly config: TopLevelConfig,
  ) {}

  async resolve(rawPrefix: string): Promise<ResolvePrefixResponse> {
    const location = await this.locate(rawPrefix);
    if (!location) return { found: false, prefix: rawPrefix, site: undefined, ttlSeconds: this.config.notFoundTtlSeconds };
    return { found: true, prefix: location.prefix, site: siteRecordOf(location.node), ttlSeconds: this.config.resolveTtlSeconds };
  }

  async locate(rawPrefix: string): Promise<PrefixLocation | undefined> {
    let segments: string[];
    try {
      segments = parsePrefix(rawPrefix ?? '').prefixKey.split('.');
    } catch (error) {
      throw invalid(`prefix ${JSON.stringify((rawPrefix ?? '').slice(0, 80))} is not a prefix: ${(error as Error).message}`);
    }
    const candidates: string[] = [];
    for (let length = segments.length; length >= 3; length -= 1) candidates.push(segments.slice(0, length).join('.'));
    const filing = await this.filings.longestApproved(candidates);
    if (filing) {
      const node = await this.nodes.findById(filing.nodeId);
      if (node) return { prefix: filing.prefix, node, filing };
    }
    if (segments.length === 2) {
      const node = await this.nodes.findByPrefixKey(segments.join('.'));
      if (node) return { prefix: node.secondaryPrefix, node, filing: undefined };
    }
    return undefined;
  }
}

export function siteRecordOf(node: NodeEntity): SiteRecord {
  return { nodeId: node.nodeId, secondaryPrefix: node.secondaryPrefix, endpoints: node.endpoints.map((e) => ({ kind: e.kind, url: e.url })) };
}
