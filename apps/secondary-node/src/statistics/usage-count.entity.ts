import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Resolution and registration counts per (enterprise prefix, minute, kind, outcome). Rows are only
 * ever added to: every replica flushes its in-memory counts with an additive upsert, so the table
 * holds the sum over all replicas. prefix_key '-' collects everything not homed on this node.
 * Triggers keep the hourly and daily roll-ups (usage-rollup.entities.ts) in step with every change.
 */
@Entity({ name: 'usage_counts' })
@Check(
  'ck_usage_counts_outcome',
  `("kind" = 'resolution' AND "outcome" IN ('l1', 'l2', 'db', 'not_found', 'error')) OR ("kind" = 'registration' AND "outcome" IN ('create', 'update', 'delete')) ` +
    `OR ("kind" = 'door' AND "outcome" IN ('handle_rest', 'snms', 'proxy', 'cross_node', 'handle'))`,
)
@Check('ck_usage_counts_count', `"count" >= 0`)
@Index('ix_usage_counts_kind_minute', ['kind', 'minute'])
export class UsageCountEntity {
  /** ASCII-lower-cased enterprise prefix, or '-' for anything not homed here. */
  @PrimaryColumn({ name: 'prefix_key', type: 'varchar', length: 64, collation: 'C', primaryKeyConstraintName: 'pk_usage_counts' })
  prefixKey: string;

  /** Start of the minute (UTC, whole minute). */
  @PrimaryColumn({ type: 'timestamptz', primaryKeyConstraintName: 'pk_usage_counts' })
  minute: Date;

  @PrimaryColumn({ type: 'varchar', length: 16, primaryKeyConstraintName: 'pk_usage_counts' })
  kind: string;

  /** l1, l2, db, not_found, error for resolutions; create, update, delete for registrations; handle_rest, snms, proxy, cross_node, handle for doors. */
  @PrimaryColumn({ type: 'varchar', length: 16, primaryKeyConstraintName: 'pk_usage_counts' })
  outcome: string;

  /** bigint: node-postgres returns it as a string. */
  @Column({ type: 'bigint' })
  count: string;
}
