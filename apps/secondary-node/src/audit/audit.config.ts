import type { EnvReader } from '@idis/runtime';

/** The audit log's retention and export bounds. */
export interface AuditConfig {
  /** Rows older than this many days are pruned (a signed checkpoint keeps the chain verifiable); 0 keeps everything. */
  retentionDays: number;
  /** How often the pruner looks for rows past retention. */
  pruneIntervalMs: number;
  /** At most this many rows in one CSV export (the reply names the cursor of the rest). */
  exportMaxRows: number;
}

export function readAuditConfig(read: EnvReader): AuditConfig {
  return {
    retentionDays: read.integer('AUDIT_RETENTION_DAYS', 365, 0, 36_500),
    pruneIntervalMs: read.integer('AUDIT_PRUNE_INTERVAL_MS', 3_600_000, 1000, 7 * 86_400_000),
    exportMaxRows: read.integer('AUDIT_EXPORT_MAX_ROWS', 100_000, 1, 1_000_000),
  };
}

export const AUDIT_CONFIG = Symbol('AUDIT_CONFIG');
