import type { NodeEnvReader } from './node-config';

/**
 * Heavy reads (trace, EPCIS queries, listings, statistics) run on their own PostgreSQL pool: a
 * second TypeORM data source named HEAVY_READ_DATA_SOURCE with few connections and a statement
 * timeout, so however many of them arrive they hold at most `poolSize` backends and never take a
 * connection that resolution or a write needs. A query that runs into the timeout answers 422
 * QUERY_TOO_EXPENSIVE; a trace also stops after `traceMaxSteps` edges (a partial graph, flagged).
 */
export interface HeavyReadConfig {
  /** HEAVY_READ_POOL_SIZE: connections of the heavy-read pool (default 2). */
  poolSize: number;
  /** HEAVY_READ_STATEMENT_TIMEOUT_MS: PostgreSQL statement_timeout of those connections (default 5000). */
  statementTimeoutMs: number;
  /** HEAVY_READ_TRACE_MAX_STEPS: edges one trace may walk before its graph is cut and marked truncated (default 2000). */
  traceMaxSteps: number;
}

/** The name of the heavy-read data source (@InjectDataSource(HEAVY_READ_DATA_SOURCE)). */
export const HEAVY_READ_DATA_SOURCE = 'heavy-read';

export const HEAVY_READ_CONFIG = Symbol('HEAVY_READ_CONFIG');

export function readHeavyReadConfig(read: NodeEnvReader): HeavyReadConfig {
  return {
    poolSize: read.integer('HEAVY_READ_POOL_SIZE', 2, 1, 50),
    statementTimeoutMs: read.integer('HEAVY_READ_STATEMENT_TIMEOUT_MS', 5000, 100, 600_000),
    traceMaxSteps: read.integer('HEAVY_READ_TRACE_MAX_STEPS', 2000, 10, 100_000),
  };
}
