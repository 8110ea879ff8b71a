import type { TraceEdge, TraceNode, TraceResult } from './types';

/** What an ECharts graph series draws: the traced product, its relations, and who may not be read. */
export interface GraphNode {
  id: string;
  name: string;
  /** index into GRAPH_CATEGORIES */
  category: number;
  depth: number;
  /** tooltip text lines */
  details: string[];
  symbolSize: number;
}

export interface GraphLink {
  source: string;
  target: string;
  relation: TraceEdge['relation'];
}

/** Legend order: the product itself, what it is made of or packed in (back), what it went into (forward), unreadable. */
export const GRAPH_CATEGORIES = ['product', 'related', 'partial', 'hidden'] as const;

/** A short label for a node: the handle (hdl:), an EPC URN without urn:epc:id:, else the identifier cut from the left. */
export function nodeLabel(node: Pick<TraceNode, 'id' | 'handle'>): string {
  if (node.handle) return node.handle;
  const cut = node.id.replace(/^urn:epc:id:/i, '');
  return cut.length > 40 ? `…${cut.slice(-39)}` : cut;
}

/**
 * The trace's graph as ECharts nodes and links, laid out in columns by depth (x) so the genealogy reads
 * left to right: inputs before the product when tracing back, outputs after it forward. Links point
 * from input to output and from container to content, as the API gives them.
 */
export function genealogyGraph(trace: Pick<TraceResult, 'identifier' | 'direction' | 'graph'>): { nodes: GraphNode[]; links: GraphLink[] } {
  const known = new Set(trace.graph.nodes.map((n) => n.id));
  const nodes = trace.graph.nodes.map((node) => ({
    id: node.id,
    name: nodeLabel(node),
    category: node.id === trace.identifier ? 0 : node.access === 'hidden' ? 3 : node.access === 'partial' ? 2 : 1,
    depth: node.depth,
    details: detailsOf(node),
    symbolSize: node.id === trace.identifier ? 34 : 22,
  }));
  const links = trace.graph.edges.filter((e) => known.has(e.from) && known.has(e.to)).map((e) => ({ source: e.from, target: e.to, relation: e.relation }));
  return { nodes, links };
}

/** x, y positions in a 0..1000 × 0..600 box: one column per depth, nodes spread evenly down each column. */
export function layoutByDepth(nodes: GraphNode[], direction: TraceResult['direction']): Map<string, { x: number; y: number }> {
  const columns = new Map<number, GraphNode[]>();
  for (const node of nodes) columns.set(node.depth, [...(columns.get(node.depth) ?? []), node]);
  const maxDepth = Math.max(0, ...columns.keys());
  const positions = new Map<string, { x: number; y: number }>();
  for (const [depth, column] of columns) {
    const step = maxDepth === 0 ? 0 : 1000 / maxDepth;
    const x = direction === 'back' ? 1000 - depth * step : depth * step;
    column.forEach((node, i) => positions.set(node.id, { x: maxDepth === 0 ? 500 : x, y: ((i + 1) * 600) / (column.length + 1) }));
  }
  return positions;
}

function detailsOf(node: TraceNode): string[] {
  const lines = [node.id];
  if (node.summary?.lastBizStep) lines.push(`bizStep: ${node.summary.lastBizStep}`);
  if (node.summary?.lastEventTime) lines.push(`last: ${node.summary.lastEventTime}`);
  if (node.eventCount > 0) lines.push(`events: ${node.eventCount}`);
  return lines;
}
