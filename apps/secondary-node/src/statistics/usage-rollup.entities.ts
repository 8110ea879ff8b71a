import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Roll-ups of usage_counts, kept by statement-level triggers on it (migration
 * 1796700000000-usage-rollups): every change to a minute row adds its difference to the hour and
 * the day it falls in, so long series read a few hundred rows instead of hundreds of thousands.
 * Besides one row per prefix_key, each (period, kind, outcome) has a row under ROLLUP_ALL_PREFIXES
 * ('*'): the sum over every prefix_key, for node-wide series.
 */
@Entity({ name: 'usage_counts_hourly' })
@Check('ck_usage_counts_hourly_count', `"count" >= 0`)
export class UsageHourlyCountEntity {
  @PrimaryColumn({ name: 'prefix_key', type: 'varchar', length: 64, collation: 'C', primaryKeyConstraintName: 'pk_usage_counts_hourly' })
  prefixKey: string;

  /** Start of the UTC hour. */
  @PrimaryColumn({ type: 'timestamptz', primaryKeyConstraintName: 'pk_usage_counts_hourly' })
  hour: Date;

  @PrimaryColumn({ type: 'varchar', length: 16, primaryKeyConstraintName: 'pk_usage_counts_hourly' })
  kind: string;

  @PrimaryColumn({ type: 'varchar', length: 16, primaryKeyConstraintName: 'pk_usage_counts_hourly' })
  outcome: string;

  @Column({ type: 'bigint' })
  count: string;
}

/** Per calendar day of the time zone in usage_rollup_settings (STATS_TIME_ZONE). */
@Entity({ name: 'usage_counts_daily' })
@Check('ck_usage_counts_daily_count', `"count" >= 0`)
@Index('ix_usage_counts_daily_kind_day', ['kind', 'day'])
export class UsageDailyCountEntity {
  @PrimaryColumn({ name: 'prefix_key', type: 'varchar', length: 64, collation: 'C', primaryKeyConstraintName: 'pk_usage_counts_daily' })
  prefixKey: string;

  /** The local date, in the roll-up time zone. */
  @PrimaryColumn({ type: 'date', primaryKeyConstraintName: 'pk_usage_counts_daily' })
  day: string;

  @PrimaryColumn({ type: 'varchar', length: 16, primaryKeyConstraintName: 'pk_usage_counts_daily' })
  kind: string;

  @PrimaryColumn({ type: 'varchar', length: 16, primaryKeyConstraintName: 'pk_usage_counts_daily' })
  outcome: string;

  @Column({ type: 'bigint' })
  count: string;
}

/**
 * One row: the time zone whose days usage_counts_daily holds. The triggers read it, so every
 * replica rolls up into the same days; a node started with another STATS_TIME_ZONE rebuilds the
 * daily roll-up (UsageRollups) and changes it.
 */
@Entity({ name: 'usage_rollup_settings' })
@Check('ck_usage_rollup_settings_single', `"id" = 1`)
export class UsageRollupSettingsEntity {
  @PrimaryColumn({ type: 'smallint', primaryKeyConstraintName: 'pk_usage_rollup_settings' })
  id: number;

  @Column({ name: 'time_zone', type: 'varchar', length: 64 })
  timeZone: string;
}
