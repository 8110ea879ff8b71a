import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { HEAVY_READ_DATA_SOURCE } from '../../config/heavy-read.config';
import type { VisiblePrefixes } from '../grants/traceability-access.service';
import { EVENT_COLUMNS, type StoredEvent, toStoredEvent } from './event-query.repository';

export type TraceDirection = 'back' | 'forward';

export interface WalkStep {
  node: string;
  depth: number;
  /** the edge that reached the node; null for the start */
  edge: { from: string; to: string; relation: 'input-of' | 'contains'; eventId: string; eventTime: Date } | null;
  /** the node was already on this path: the edge closes a cycle and is not followed further */
  cycle: boolean;
}

export interface NodeStanding {
  identifier: string;
  eventCount: number;
  visibleEventCount: number;
  firstEventTime: Date | null;
  lastEventTime: Date | null;
  lastBizStep: string | null;
  lastBizLocation: string | null;
}

/**
 * One step of the walk from a node, per direction (GDST trace-back / trace-forward, reference §1.8):
 * back    = the inputs of transformations that output it, and the children of aggregations (ADD) it is the parent of;
 * forward = the outputs of transformations it is an input of, and the parents of aggregations (ADD) it is a child of.
 * Edges always point the same way whatever the direction: input → output ('input-of'), parent → child ('contains').
 * Only edges recorded by events the caller may read, and not declared erroneous, are followed.
 */
function stepSql(direction: TraceDirection, visibleParam: string, readable = true): string {
  const visible = readable
    ? `ev.error_declared_at IS NULL AND (${visibleParam}::text[] IS NULL OR ev.enterprise_prefix = ANY(${visibleParam}::text[]))`
    : `ev.error_declared_at IS NULL AND ${visibleParam}::text[] IS NOT NULL AND NOT (ev.enterprise_prefix = ANY(${visibleParam}::text[]))`;
  if (direction === 'back') {
    return `SELECT d.input AS next, d.input AS from_id, d.output AS to_id, 'input-of' AS relation, d.event_id, d.event_time
              FROM epcis_derivations d JOIN epcis_events ev ON ev.event_id = d.event_id
             WHERE d.output = w.node AND ${visible}
            UNION ALL
            SELECT c.child, c.parent, c.child, 'contains', c.event_id, c.event_time
              FROM epcis_containment c JOIN epcis_events ev ON ev.event_id = c.event_id
             WHERE c.parent = w.node AND c.action = 'ADD' AND ${visible}`;
  }
  return `SELECT d.output AS next, d.input AS from_id, d.output AS to_id, 'input-of' AS relation, d.event_id, d.event_time
            FROM epcis_derivations d JOIN epcis_events ev ON ev.event_id = d.event_id
           WHERE d.input = w.node AND ${visible}
          UNION ALL
          SELECT c.parent, c.parent, c.child, 'contains', c.event_id, c.event_time
            FROM epcis_containment c JOIN epcis_events ev ON ev.event_id = c.event_id
           WHERE c.child = w.node AND c.action = 'ADD' AND ${visible}`;
}

/** Genealogy over epcis_derivations / epcis_containment (written by traceability/store). */
@Injectable()
export class TraceRepository {
  /** The heavy-read pool (config/heavy-read.config.ts): bounded, with a statement timeout. */
  constructor(@InjectDataSource(HEAVY_READ_DATA_SOURCE) private readonly dataSource: DataSource) {}

  /**
   * The walk as one recursive CTE, breadth first: a node already on the path ends it (cycle), depth is
   * bounded, and at most `maxSteps` rows are produced (PostgreSQL evaluates the CTE only as far as the LIMIT reads);
   * `truncated` when the walk had more. Paths through a genealogy can be far more than its edges, so
   * the rows are folded in SQL to one per (node, edge) with the node's smallest depth: the node reads
   * each edge once, not once per path.
   */
  async walk(start: string, direction: TraceDirection, maxDepth: number, visible: VisiblePrefixes, maxSteps: number): Promise<{ steps: WalkStep[]; truncated: boolean }> {
    const rows: Array<{ node: string; depth: number; cycle: boolean; from_id: string | null; to_id: string | null; relation: 'input-of' | 'contains' | null; event_id: string | null; event_time: Date | null; truncated: boolean }> =
      await this.dataSource.query(
        `WITH RECURSIVE walk (node, depth, path, cycle, from_id, to_id, relation, event_id, event_time) AS (
           SELECT $1::text, 0, ARRAY[$1::text], false, NULL::text, NULL::text, NULL::text, NULL::text, NULL::timestamptz
           UNION ALL
           SELECT s.next, w.depth + 1, w.path || s.next, s.next = ANY(w.path), s.from_id, s.to_id, s.relation, s.event_id, s.event_time
             FROM walk w CROSS JOIN LATERAL (${stepSql(direction, '$3')}) s
            WHERE w.depth < $2 AND NOT w.cycle
         ), first_steps AS (
           SELECT w.*, row_number() OVER () AS n FROM (SELECT * FROM walk LIMIT $4::int + 1) w
         )
         SELECT node, min(depth) AS depth, bool_or(cycle) AS cycle, from_id, to_id, relation, event_id, event_time,
                (SELECT max(n) FROM first_steps) > $4::int AS truncated
           FROM first_steps WHERE n <= $4::int
          GROUP BY node, from_id, to_id, relation, event_id, event_time`,
        [start, maxDepth, visible === 'all' ? null : visible, maxSteps],
      );
    const steps = rows.map((row) => ({
      node: row.node,
      depth: row.depth,
      cycle: row.cycle,
      edge: row.from_id === null ? null : { from: row.from_id, to: row.to_id as string, relation: row.relation as 'input-of' | 'contains', eventId: row.event_id as string, eventTime: row.event_time as Date },
    }));
    return { steps, truncated: rows.some((row) => row.truncated) };
  }

  /** Which of these nodes have edges the walk did not follow (to tell the caller the depth limit cut the graph). */
  async nodesWithFurtherEdges(nodes: string[], direction: TraceDirection, visible: VisiblePrefixes): Promise<string[]> {
    if (nodes.length === 0) return [];
    const rows: Array<{ node: string }> = await this.dataSource.query(
      `SELECT w.node FROM unnest($1::text[]) AS w(node) WHERE EXISTS (${stepSql(direction, '$2')})`,
      [nodes, visible === 'all' ? null : visible],
    );
    return rows.map((row) => row.node);
  }

  /** Which of these nodes have edges in this direction recorded by events the caller may not read (not followed). */
  async nodesWithHiddenEdges(nodes: string[], direction: TraceDirection, visible: VisiblePrefixes): Promise<string[]> {
    if (nodes.length === 0 || visible === 'all') return [];
    const rows: Array<{ node: string }> = await this.dataSource.query(
      `SELECT w.node FROM unnest($1::text[]) AS w(node) WHERE EXISTS (${stepSql(direction, '$2', false)})`,
      [nodes, visible],
    );
    return rows.map((row) => row.node);
  }

  /** Per identifier: how many events mention it, how many the caller may read, and a summary of those. */
  async standings(identifiers: string[], visible: VisiblePrefixes): Promise<Map<string, NodeStanding>> {
    const rows: Array<{ identifier: string; event_count: string; visible_count: string; first_time: Date | null; last_time: Date | null; last_biz_step: string | null; last_biz_location: string | null }> =
      await this.dataSource.query(
        `WITH mentions AS (
           SELECT DISTINCT i.identifier, e.event_id, e.event_time, e.biz_step, e.biz_location, e.error_declared_at,
                  ($2::text[] IS NULL OR e.enterprise_prefix = ANY($2::text[])) AS visible
             FROM epcis_event_identifiers i JOIN epcis_events e ON e.event_id = i.event_id
            WHERE i.identifier = ANY($1::text[])
         )
         SELECT identifier, count(*) AS event_count, count(*) FILTER (WHERE visible) AS visible_count,
                min(event_time) FILTER (WHERE visible AND error_declared_at IS NULL) AS first_time,
                max(event_time) FILTER (WHERE visible AND error_declared_at IS NULL) AS last_time,
                (array_agg(biz_step ORDER BY event_time DESC, event_id DESC) FILTER (WHERE visible AND error_declared_at IS NULL AND biz_step IS NOT NULL))[1] AS last_biz_step,
                (array_agg(biz_location ORDER BY event_time DESC, event_id DESC) FILTER (WHERE visible AND error_declared_at IS NULL AND biz_location IS NOT NULL))[1] AS last_biz_location
           FROM mentions GROUP BY identifier`,
        [identifiers, visible === 'all' ? null : visible],
      );
    return new Map(
      rows.map((row) => [
        row.identifier,
        {
          identifier: row.identifier,
          eventCount: Number(row.event_count),
          visibleEventCount: Number(row.visible_count),
          firstEventTime: row.first_time,
          lastEventTime: row.last_time,
          lastBizStep: row.last_biz_step,
          lastBizLocation: row.last_biz_location,
        },
      ]),
    );
  }

  /** The identifier's events the caller may read, by eventTime (at most `limit`). */
  async timeline(identifier: string, visible: VisiblePrefixes, limit: number): Promise<StoredEvent[]> {
    const rows = await this.dataSource.query(
      `SELECT ${EVENT_COLUMNS} FROM epcis_events e
        WHERE EXISTS (SELECT 1 FROM epcis_event_identifiers i WHERE i.event_id = e.event_id AND i.identifier = $1)
          AND ($2::text[] IS NULL OR e.enterprise_prefix = ANY($2::text[]))
        ORDER BY e.event_time, e.event_id LIMIT $3`,
      [identifier, visible === 'all' ? null : visible, limit],
    );
    return rows.map(toStoredEvent);
  }
}
