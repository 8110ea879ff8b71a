import { Inject, Injectable } from '@nestjs/common';
import { handleToIdentifier } from '@idis/epcis';
import type { Principal } from '../../auth/principal';
import { HEAVY_READ_CONFIG, type HeavyReadConfig } from '../../config/heavy-read.config';
import { DomainError } from '../../errors/domain-errors';
import { TraceabilityAccess } from '../grants/traceability-access.service';
import { HeavyReadGate } from './heavy-read-gate';
import { renderEvent } from './query-document';
import { type NodeStanding, type TraceDirection, TraceRepository } from './trace.repository';

export const DEFAULT_TRACE_DEPTH = 5;
export const MAX_TRACE_DEPTH = 20;
/**
 * Rows the walk may produce (one per edge followed on one path) at most; beyond the configured
 * budget (HEAVY_READ_TRACE_MAX_STEPS, default 2000) the graph is cut and marked truncated.
 */
export const MAX_WALK_STEPS = 10_000;
export const MAX_TIMELINE_EVENTS = 1_000;

export interface TraceNode {
  /** the canonical identifier (hdl:…, Digital Link URI, EPC URN) */
  id: string;
  /** the IDIS handle, for hdl: identifiers */
  handle: string | null;
  /** fewest edges from the traced product */
  depth: number;
  /**
   * How much of the node's history the caller may read: 'full'; 'partial' when some events mentioning
   * it belong to enterprises that have not granted access (the summary is built from the readable
   * ones only); 'hidden' when none is readable (no summary). Nodes no event mentions are 'full' with no summary.
   */
  access: 'full' | 'partial' | 'hidden';
  /** edges in the traced direction exist that unreadable events recorded; they were not followed */
  hiddenRelations: boolean;
  /** events mentioning it that the caller may read */
  eventCount: number;
  summary: { firstEventTime: string | null; lastEventTime: string | null; lastBizStep: string | null; lastBizLocation: string | null } | null;
}

export interface TraceEdge {
  from: string;
  to: string;
  relation: 'input-of' | 'contains';
  eventId: string;
  eventTime: string;
}

export interface TraceResult {
  handle: string;
  identifier: string;
  direction: TraceDirection;
  depth: number;
  /** the product's own events the caller may read, by eventTime */
  timeline: Record<string, unknown>[];
  timelineTruncated: boolean;
  graph: {
    nodes: TraceNode[];
    edges: TraceEdge[];
    /** some node at the depth limit has further edges: ask again with a larger depth */
    depthLimitReached: boolean;
    /** the walk met its size bound before finishing: the graph is incomplete */
    truncated: boolean;
  };
}

/**
 * Traceability of one product: its event timeline and its genealogy, backwards (what it is made of,
 * what it contained) or forwards (what it went into, what contained it).
 *
 * Across enterprises the caller sees only what it may read: an edge is followed only when the event
 * that recorded it is readable, so the graph never names what another enterprise did with a product
 * without its grant. A node whose history is partly unreadable is marked `access: 'partial'` (its
 * summary covers the readable events), and a node with relations recorded by unreadable events is
 * marked `hiddenRelations: true` (they exist, but are not shown). The timeline lists readable events
 * only. Events declared erroneous record no edges.
 */
@Injectable()
export class TraceService {
  constructor(
    private readonly traces: TraceRepository,
    private readonly access: TraceabilityAccess,
    @Inject(HEAVY_READ_CONFIG) private readonly heavyReads: HeavyReadConfig,
    private readonly gate: HeavyReadGate,
  ) {}

  trace(caller: Principal | undefined, handle: string, direction: TraceDirection, depth: number): Promise<TraceResult> {
    return this.gate.run(() => this.traceNow(caller, handle, direction, depth));
  }

  private async traceNow(caller: Principal | undefined, handle: string, direction: TraceDirection, depth: number): Promise<TraceResult> {
    const visible = await this.access.visiblePrefixes(caller);
    const identifier = identifierOfHandle(handle);
    const root = (await this.traces.standings([identifier], visible)).get(identifier);
    if (!root) throw new DomainError('NOT_FOUND', `no traceability event mentions ${handle}`);
    if (root.visibleEventCount === 0) throw new DomainError('FORBIDDEN', `the events of ${handle} belong to enterprises that have not granted you access`);

    // The work budget: a crafted genealogy has exponentially many paths; the walk stops after maxSteps rows.
    const maxSteps = Math.min(this.heavyReads.traceMaxSteps, MAX_WALK_STEPS);
    const { steps, truncated } = await this.traces.walk(identifier, direction, depth, visible, maxSteps);
    const depths = new Map<string, number>();
    const edges = new Map<string, TraceEdge>();
    for (const step of steps) {
      if (!depths.has(step.node) || (depths.get(step.node) as number) > step.depth) depths.set(step.node, step.depth);
      if (step.edge) {
        const key = JSON.stringify([step.edge.from, step.edge.to, step.edge.relation, step.edge.eventId]);
        if (!edges.has(key)) edges.set(key, { ...step.edge, eventTime: step.edge.eventTime.toISOString() });
      }
    }
    const ids = [...depths.keys()];
    const standings = await this.traces.standings(ids, visible);
    const frontier = ids.filter((id) => depths.get(id) === depth);
    const depthLimitReached = frontier.length > 0 && (await this.traces.nodesWithFurtherEdges(frontier, direction, visible)).length > 0;
    // Nodes at the depth limit were not expanded: whatever lies beyond them is reported by depthLimitReached.
    const expanded = ids.filter((id) => (depths.get(id) as number) < depth);
    const withHiddenEdges = new Set(await this.traces.nodesWithHiddenEdges(expanded, direction, visible));
    const timeline = await this.traces.timeline(identifier, visible, MAX_TIMELINE_EVENTS + 1);

    return {
      handle,
      identifier,
      direction,
      depth,
      timeline: timeline.slice(0, MAX_TIMELINE_EVENTS).map(renderEvent),
      timelineTruncated: timeline.length > MAX_TIMELINE_EVENTS,
      graph: {
        nodes: ids.map((id) => toNode(id, depths.get(id) as number, standings.get(id), withHiddenEdges.has(id))).sort((a, b) => a.depth - b.depth || compare(a.id, b.id)),
        edges: [...edges.values()].sort((a, b) => compare(a.eventTime, b.eventTime) || compare(a.from, b.from) || compare(a.to, b.to)),
        depthLimitReached,
        truncated,
      },
    };
  }
}

function toNode(id: string, depth: number, standing: NodeStanding | undefined, hiddenRelations: boolean): TraceNode {
  const handle = id.startsWith('hdl:') ? id.slice(4) : null;
  if (!standing) return { id, handle, depth, access: 'full', hiddenRelations, eventCount: 0, summary: null };
  if (standing.visibleEventCount === 0) return { id, handle, depth, access: 'hidden', hiddenRelations, eventCount: 0, summary: null };
  return {
    id,
    handle,
    depth,
    access: standing.visibleEventCount < standing.eventCount ? 'partial' : 'full',
    hiddenRelations,
    eventCount: standing.visibleEventCount,
    summary: {
      firstEventTime: standing.firstEventTime?.toISOString() ?? null,
      lastEventTime: standing.lastEventTime?.toISOString() ?? null,
      lastBizStep: standing.lastBizStep,
      lastBizLocation: standing.lastBizLocation,
    },
  };
}

function identifierOfHandle(handle: string): string {
  if (handle.length === 0 || handle.length > 255) throw new DomainError('INVALID_HANDLE', 'a handle is 1 to 255 characters, e.g. 88.118.8/ABC123');
  try {
    return handleToIdentifier(handle);
  } catch (error) {
    throw new DomainError('INVALID_HANDLE', `${JSON.stringify(handle)} is not a handle: ${(error as Error).message}`, [{ path: 'handle', message: 'not a handle' }]);
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
