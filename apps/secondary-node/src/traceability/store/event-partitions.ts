/**
 * The monthly range partitions of epcis_events (PARTITION BY RANGE (record_time)): their names and
 * bounds, shared by the migration that makes the first ones (EventsByRecordTime1797300000000) and
 * the upkeep that makes the next (EventPartitionKeeper). Months are UTC months.
 */

/** Where the partitions of epcis_events live (the schema of the identifier partitions too). */
export const EVENT_PARTITION_SCHEMA = 'idis_partitions';

/** The partition that takes any record_time no month partition covers, so that an insert never fails. */
export const EVENTS_DEFAULT_PARTITION = 'epcis_events_default';

/** Months kept ready after the current one. */
export const EVENT_PARTITION_MONTHS_AHEAD = 2;

/** One month of record_time, [from, to) in UTC, and the name of its partition (epcis_events_2026_12). */
export interface MonthPartition {
  name: string;
  /** The first instant of the month, ISO 8601 UTC. */
  from: string;
  /** The first instant of the next month. */
  to: string;
}

/** The partition of the month holding `at` (UTC), `offset` months later. */
export function monthPartition(at: Date, offset = 0): MonthPartition {
  const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + offset, 1));
  const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
  return {
    name: `epcis_events_${start.getUTCFullYear()}_${String(start.getUTCMonth() + 1).padStart(2, '0')}`,
    from: start.toISOString(),
    to: end.toISOString(),
  };
}

/** The month of `at` and the EVENT_PARTITION_MONTHS_AHEAD after it. */
export function monthsAhead(at: Date): MonthPartition[] {
  return Array.from({ length: EVENT_PARTITION_MONTHS_AHEAD + 1 }, (_, offset) => monthPartition(at, offset));
}

/** The bound clause of a month partition (literals: DDL takes no parameters; both are ISO timestamps made here). */
export function monthBounds(month: MonthPartition): string {
  return `FOR VALUES FROM ('${month.from}') TO ('${month.to}')`;
}

