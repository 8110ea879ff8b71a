import { Injectable } from '@nestjs/common';
import { parseHandle, parsePrefix } from '@idis/identifier';
import { invalid } from '../errors/top-level-errors';
import type { FilingEntity } from '../filing/filing.entity';
import { FilingRepository } from '../filing/filing.repository';
import type { EndpointRecord } from '../nodes/endpoints';
import type { NodeEntity } from '../nodes/node.entity';
import { NodeRepository } from '../nodes/node.repository';
import { PrefixResolutionService } from '../resolution/prefix-resolution.service';

export type IiidapAnswer =
  | { kind: 'record'; body: Record<string, unknown> }
  | { kind: 'redirect'; location: string }
  | { kind: 'not-found'; description: string };

/**
 * Read-only registration data of prefixes, shaped after IIIDAP (draft-mcd-identifier-access-*)
 * and RDAP (RFC 9083): objectClassName, handle, status, events, entities, links. Only public data:
 * the organisation's name, the prefix, its status and dates, and the responsible node; contact
 * details and credit codes of enterprises are not published.
 */
@Injectable()
export class IiidapService {
  constructor(
    private readonly filings: FilingRepository,
    private readonly nodes: NodeRepository,
    private readonly resolution: PrefixResolutionService,
  ) {}

  async lookup(identifier: string, options: { redirect: boolean; noredirect: boolean; selfBase: string }): Promise<IiidapAnswer> {
    if (identifier.includes('/')) return this.lookupIdentifier(identifier, options);
    let prefixKey: string;
    try {
      prefixKey = parsePrefix(identifier).prefixKey;
    } catch (error) {
      throw invalid(`${JSON.stringify(identifier.slice(0, 80))} is not a prefix or identifier: ${(error as Error).message}`);
    }
    const self = `${options.selfBase}/iiidap/identifier/${identifier}`;
    const filing = await this.filings.findFiling(prefixKey);
    if (filing && filing.status === 'approved') {
      const node = await this.nodes.findById(filing.nodeId);
      if (!node) return { kind: 'not-found', description: `prefix ${identifier} has no responsible node` };
      if (options.redirect) {
        const location = prefixRedirect(node.endpoints, filing.prefix);
        if (location) return { kind: 'redirect', location };
      }
      return { kind: 'record', body: await this.prefixRecord(filing, node, self) };
    }
    if (prefixKey.split('.').length === 2) {
      const node = await this.nodes.findByPrefixKey(prefixKey);
      if (node) {
        if (options.redirect) {
          const location = prefixRedirect(node.endpoints, node.secondaryPrefix);
          if (location) return { kind: 'redirect', location };
        }
        return { kind: 'record', body: secondaryPrefixRecord(node, self) };
      }
    }
    return { kind: 'not-found', description: `prefix ${identifier} is not registered at this top-level node` };
  }

  private async lookupIdentifier(identifier: string, options: { noredirect: boolean; selfBase: string }): Promise<IiidapAnswer> {
    let parsed;
    try {
      parsed = parseHandle(identifier);
    } catch (error) {
      throw invalid(`${JSON.stringify(identifier.slice(0, 80))} is not an identifier: ${(error as Error).message}`);
    }
    const location = await this.resolution.locate(parsed.prefix);
    if (!location) return { kind: 'not-found', description: `no node is responsible for prefix ${parsed.prefix} of ${identifier}` };
    const target = identifierRedirect(location.node.endpoints, parsed.prefix, parsed.suffix);
    if (target && !options.noredirect) return { kind: 'redirect', location: target };
    return {
      kind: 'record',
      body: {
        iiidapConformance: ['iiidap_level_0'],
        objectClassName: 'identifier',
        handle: identifier,
        prefix: location.prefix,
        entities: [registrarEntity(location.node)],
        links: [
          { rel: 'self', href: `${options.selfBase}/iiidap/identifier/${identifier}`, type: 'application/json' },
          { rel: 'up', href: `${options.selfBase}/iiidap/identifier/${location.prefix}`, type: 'application/json' },
          ...(target ? [{ rel: 'related', href: target, title: 'resolve at the responsible secondary node' }] : []),
        ],
        notices: [{ title: 'Identifier data', description: ['The identifier’s values are held by the responsible secondary node, not by the top level.'] }],
      },
    };
  }

  private async prefixRecord(filing: FilingEntity, node: NodeEntity, self: string): Promise<Record<string, unknown>> {
    const history = await this.filings.transactionsOf(filing.prefixKey, 20);
    const pending = history.find((t) => t.serverTransactionId === filing.pendingTransactionId);
    const status = ['active', ...(pending ? [`pending ${pending.operation}`] : [])];
    const events = [{ eventAction: 'registration', eventDate: filing.createdAt.toISOString() }];
    if (filing.approvedAt) events.push({ eventAction: 'approval', eventDate: filing.approvedAt.toISOString() });
    events.push({ eventAction: 'last changed', eventDate: filing.updatedAt.toISOString() });
    return {
      iiidapConformance: ['iiidap_level_0'],
      objectClassName: 'prefix',
      handle: filing.prefix,
      prefixType: 'enterprise',
      status,
      events,
      entities: [
        {
          objectClassName: 'entity',
          roles: ['registrant'],
          // Public registration data only: the organisation's name. The contact person, e-mail,
          // phone and credit code stay with the operator (GET /api/v1/filings, admin token).
          fn: filing.enterprise.orgName,
        },
        registrarEntity(node),
      ],
      links: [{ rel: 'self', href: self, type: 'application/json' }, ...endpointLinks(node.endpoints)],
    };
  }
}

function secondaryPrefixRecord(node: NodeEntity, self: string): Record<string, unknown> {
  return {
    iiidapConformance: ['iiidap_level_0'],
    objectClassName: 'prefix',
    handle: node.secondaryPrefix,
    prefixType: 'secondary',
    status: ['active'],
    events: [
      { eventAction: 'registration', eventDate: node.enrolledAt.toISOString() },
      ...(node.lastHeartbeatAt ? [{ eventAction: 'last heartbeat', eventDate: node.lastHeartbeatAt.toISOString() }] : []),
    ],
    entities: [registrarEntity(node)],
    links: [{ rel: 'self', href: self, type: 'application/json' }, ...endpointLinks(node.endpoints)],
  };
}

function registrarEntity(node: NodeEntity): Record<string, unknown> {
  return {
    objectClassName: 'entity',
    roles: ['registrar'],
    handle: node.nodeId,
    secondaryPrefix: node.secondaryPrefix,
    endpoints: node.endpoints,
  };
}

function endpointLinks(endpoints: EndpointRecord[]): Array<Record<string, string>> {
  return endpoints.filter((e) => /^https?:\/\//i.test(e.url)).map((e) => ({ rel: 'related', href: e.url, title: e.kind }));
}

function endpointOf(endpoints: EndpointRecord[], kind: string): string | undefined {
  const url = endpoints.find((e) => e.kind === kind && /^https?:\/\//i.test(e.url))?.url;
  return url?.replace(/\/+$/, '');
}

/** The proxy URL of an identifier at its secondary node (hdl.handle.net style), else its Handle REST URL. */
function identifierRedirect(endpoints: EndpointRecord[], prefix: string, suffix: string): string | undefined {
  const proxy = endpointOf(endpoints, 'proxy');
  if (proxy) return `${proxy}/${prefix}/${encodeURI(suffix)}`;
  const rest = handleRestOf(endpoints);
  if (rest) return `${rest}/${prefix}/${encodeURI(suffix)}`;
  return undefined;
}

/** Where a prefix's identifiers can be listed: the node's Handle REST listing, else its proxy. */
function prefixRedirect(endpoints: EndpointRecord[], prefix: string): string | undefined {
  const rest = handleRestOf(endpoints);
  if (rest) return `${rest}?prefix=${encodeURIComponent(prefix)}`;
  return endpointOf(endpoints, 'proxy');
}

/** The Handle REST collection URL: nodes announce either their base URL or …/api/handles itself. */
function handleRestOf(endpoints: EndpointRecord[]): string | undefined {
  const url = endpointOf(endpoints, 'handle-rest');
  if (!url) return undefined;
  return url.endsWith('/api/handles') ? url : `${url}/api/handles`;
}
