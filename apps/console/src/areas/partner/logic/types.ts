/** GET /api/v1/trace/{handle} as the partner area reads it (apps/secondary-node traceability/query/trace.service.ts). */
export interface TraceNode {
  id: string;
  handle: string | null;
  depth: number;
  access: 'full' | 'partial' | 'hidden';
  hiddenRelations: boolean;
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

export type TraceDirection = 'back' | 'forward';

export interface TraceResult {
  handle: string;
  identifier: string;
  direction: TraceDirection;
  depth: number;
  /** EPCIS 2.0 events (JSON-LD as captured), by eventTime */
  timeline: Record<string, unknown>[];
  timelineTruncated: boolean;
  graph: { nodes: TraceNode[]; edges: TraceEdge[]; depthLimitReached: boolean; truncated: boolean };
}

/** GET /api/v1/partners/me/grants */
export interface ReceivedGrant {
  id: string;
  enterpriseId: string;
  orgName: string;
  prefixes: string[];
  createdAt: string;
}
